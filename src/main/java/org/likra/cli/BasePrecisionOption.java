package org.likra.cli;

import org.likra.engine.Precision;
import picocli.CommandLine.Option;

import java.util.List;

/** --base-precision: how the commands that train or score LoRA heads on a frozen base hold its parameters. */
public final class BasePrecisionOption {
    @Option(names = "--base-precision", defaultValue = "f32", converter = Names.class,
            description = "How the frozen base model's parameters are held: f32, or bf16 / f16 (2 bytes a parameter "
                    + "instead of 4; each value rounded to nearest as it is loaded, so an F32 checkpoint loses its low "
                    + "bits and a BF16 one loaded as bf16 keeps them; the matrix products convert the weights to "
                    + "float32 as they read them and add in float32). Engines cpu and reference. "
                    + "Default: ${DEFAULT-VALUE}.")
    String basePrecision;

    /** The format the option names. */
    public Precision format() {
        return switch (basePrecision) {
            case "bf16" -> Precision.BF16;
            case "f16" -> Precision.F16;
            default -> Precision.F32;
        };
    }

    /** f32, bf16 or f16. */
    public static final class Names extends OptionChecks.OneOf {
        public Names() {
            super(List.of("f32", "bf16", "f16"));
        }
    }
}
