package org.likra.cli;

import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engines.Engines;
import picocli.CommandLine.Option;

/** The --engine, --threads, --precision and --device options every computing command takes. */
public final class EngineOptions {
    @Option(names = "--engine", defaultValue = Engines.DEFAULT, converter = OptionChecks.Engine.class,
            description = "reference (scalar oracle), cpu (fast) or tornado (GPU). Default: ${DEFAULT-VALUE}.")
    String engine;

    @Option(names = "--threads", defaultValue = "0", converter = OptionChecks.Threads.class,
            description = "Worker threads of the cpu engine: 0 (all cores) or up to 4 per core. "
                    + "Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--precision", defaultValue = "f32", converter = OptionChecks.Precision.class,
            description = "f32, or f64 (reference engine only, for gradient checks). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--device", defaultValue = "",
            description = "TornadoVM device for --engine tornado, backend:device as `likra devices` lists them "
                    + "(e.g. 0:0). Default: TornadoVM's default device.")
    String device;

    public Engine create() {
        return Engines.create(engine, threads, precision.equals("f64") ? Precision.F64 : Precision.F32, device);
    }
}
