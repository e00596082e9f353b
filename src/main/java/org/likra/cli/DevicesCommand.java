package org.likra.cli;

import picocli.CommandLine.Command;

import java.util.List;
import java.util.concurrent.Callable;

/** Lists the TornadoVM devices the tornado engine can run on, numbered as --device takes them. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"List the TornadoVM devices (backend:device, as --device takes them) for --engine tornado.",
                "Needs TornadoVM: set TORNADOVM_HOME and build with the tornado profile (docs/tornadovm.md)."})
public final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        List<String> lines;
        try {
            Class<?> engine = Class.forName("org.likra.engine.tornado.TornadoEngine");
            @SuppressWarnings("unchecked")
            List<String> found = (List<String>) engine.getMethod("listDevices").invoke(null);
            lines = found;
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            System.out.println("devices: TornadoVM is not available (no tornado engine in this build, or TornadoVM "
                    + "not on the module path): install it (docs/tornadovm.md), set TORNADOVM_HOME and rerun");
            return 1;
        } catch (ReflectiveOperationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.out.println("devices: TornadoVM could not list its devices: " + cause);
            return 1;
        }
        if (lines.isEmpty()) {
            System.out.println("devices: TornadoVM found no devices");
            return 1;
        }
        System.out.println("backend:device  backend  device");
        lines.forEach(System.out::println);
        return 0;
    }
}
