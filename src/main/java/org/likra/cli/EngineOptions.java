package org.likra.cli;

import org.likra.engine.Engine;
import org.likra.engine.Engines;
import org.likra.engine.Precision;
import picocli.CommandLine.Option;

/** The --engine, --threads, --precision and --device options every computing command takes. */
public final class EngineOptions {
    @Option(names = "--engine", defaultValue = Engines.DEFAULT,
            description = "reference (scalar oracle), cpu (fast, default) or tornado (GPU). Default: ${DEFAULT-VALUE}.")
    String engine;

    @Option(names = "--threads", defaultValue = "0", description = "Worker threads for the cpu engine (0: all cores).")
    int threads;

    @Option(names = "--precision", defaultValue = "f32",
            description = "f32, or f64 (reference engine only, for gradient checks). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--device", defaultValue = "",
            description = "TornadoVM device for --engine tornado, backend:device as `likra devices` lists them "
                    + "(e.g. 0:0). Default: TornadoVM's default device.")
    String device;

    public Engine create() {
        Precision p = switch (precision.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> Precision.F32;
            case "f64" -> Precision.F64;
            default -> throw new org.likra.util.UserError("--precision must be f32 or f64, got " + precision);
        };
        return Engines.create(engine, threads, p, device);
    }
}
