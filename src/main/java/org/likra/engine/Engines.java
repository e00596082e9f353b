package org.likra.engine;

import org.likra.engine.reference.ReferenceEngine;
import org.likra.util.UserError;

/** Creates engines by the names the {@code --engine} flag takes. */
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
            case "cpu" -> createByName("org.likra.engine.cpu.CpuEngine", workers);
            case "tornado" -> createTornado(device == null ? "" : device);
            default -> throw new UserError("unknown engine '" + name + "' (known: reference, cpu, tornado)");
        };
    }

    private static Engine createByName(String className, int threads) {
        try {
            Class<?> type = Class.forName(className);
            return (Engine) type.getConstructor(int.class).newInstance(threads);
        } catch (ClassNotFoundException e) {
            throw new UserError("the cpu engine is not part of this build; use --engine reference");
        } catch (ReflectiveOperationException | ExceptionInInitializerError e) {
            UserError setting = settingError(e);
            throw setting != null ? setting : new IllegalStateException("cannot create " + className, e);
        }
    }

    /**
     * A cpu engine class that refuses a setting while it initialises (a {@code -Dlikra.cpu...} system property of
     * the JVM that is not a valid value) throws IllegalArgumentException from its static initialiser: that message,
     * as the user's error; null for any other failure.
     */
    private static UserError settingError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ExceptionInInitializerError init
                    && init.getCause() instanceof IllegalArgumentException a) {
                return new UserError(a.getMessage() + " (a -D option of the JVM)");
            }
        }
        return null;
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
