package org.likra.engines;

import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.util.UserError;

/**
 * Creates engines by the names the {@code --engine} flag takes. The reference and cpu engines are part of every build
 * and are constructed directly; the tornado engine is built only with the {@code tornado} Maven profile, so it is
 * loaded by name.
 */
public final class Engines {
    /** The engine commands use unless told otherwise. */
    public static final String DEFAULT = "cpu";
    /** The engines {@link #create} knows. */
    public static final java.util.List<String> NAMES = java.util.List.of("reference", "cpu", "tornado");

    private Engines() {
    }

    /**
     * @param name      reference, cpu or tornado
     * @param threads   worker threads for the cpu engine (0: all cores)
     * @param precision F64 only for the reference engine
     */
    public static Engine create(String name, int threads, Precision precision) {
        return create(name, threads, precision, "");
    }

    /**
     * @param device for the tornado engine, "backend:device" as {@code likra devices} lists them (e.g. "0:0");
     *               empty for TornadoVM's default device; ignored by the other engines
     */
    public static Engine create(String name, int threads, Precision precision, String device) {
        if (threads < 0) {
            throw new UserError("--threads must be 0 (all cores) or a positive number of threads, got " + threads);
        }
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (precision == Precision.F64 && !name.equals("reference")) {
            throw new UserError("--precision f64 needs --engine reference (the " + name + " engine is float32)");
        }
        return switch (name) {
            case "reference" -> new ReferenceEngine(precision);
            case "cpu" -> createCpu(workers);
            case "tornado" -> createTornado(device == null ? "" : device);
            default -> throw new UserError("unknown engine '" + name + "' (known: reference, cpu, tornado)");
        };
    }

    /**
     * A cpu engine class that refuses a setting while it initialises (a {@code -Dlikra.cpu...} system property of
     * the JVM that is not a valid value) throws IllegalArgumentException from its static initialiser: that message
     * becomes the user's error.
     */
    private static Engine createCpu(int threads) {
        try {
            return new CpuEngine(threads);
        } catch (ExceptionInInitializerError e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ExceptionInInitializerError init
                        && init.getCause() instanceof IllegalArgumentException a) {
                    throw new UserError(a.getMessage() + " (a -D option of the JVM)");
                }
            }
            throw e;
        }
    }

    private static Engine createTornado(String device) {
        try {
            Class<?> type = Class.forName("org.likra.engine.tornado.TornadoEngine");
            return (Engine) type.getConstructor(String.class).newInstance(device);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new UserError("the tornado engine needs TornadoVM: install it (see docs/tornadovm.md), set "
                    + "TORNADOVM_HOME, and rebuild with `mvn -Ptornado package`");
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("cannot create the tornado engine", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the tornado engine", e);
        }
    }
}
