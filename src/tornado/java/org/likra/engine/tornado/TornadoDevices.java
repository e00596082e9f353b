package org.likra.engine.tornado;

import org.likra.util.UserError;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.ArrayList;
import java.util.List;

/** The devices TornadoVM finds, numbered "backend:device" as {@code tornado --devices} and {@code likra devices} do. */
final class TornadoDevices {
    private TornadoDevices() {
    }

    /** @param spec "backend:device" (e.g. "0:0"), or "" for TornadoVM's default device */
    static TornadoDevice select(String spec) {
        if (spec == null || spec.isBlank()) {
            return TornadoExecutionPlan.DEFAULT_DEVICE;
        }
        String[] parts = spec.trim().split(":");
        try {
            int backend = Integer.parseInt(parts[0]);
            int index = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return TornadoExecutionPlan.getDevice(backend, index);
        } catch (NumberFormatException e) {
            throw new UserError("--device must be backend:device, e.g. 0:0 (see `likra devices`), got '" + spec + "'");
        } catch (RuntimeException e) {
            throw new UserError("no TornadoVM device " + spec + " (see `likra devices`): " + e.getMessage());
        }
    }

    /** One line per device, "backend:device  backend name  device name", then the default device. */
    static List<String> list() {
        List<String> lines = new ArrayList<>();
        List<TornadoBackend> backends = TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends();
        for (int b = 0; b < backends.size(); b++) {
            TornadoBackend backend = backends.get(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice dev = backend.getDevice(d);
                lines.add(b + ":" + d + "  " + backend.getName() + "  " + dev.getPhysicalDevice().getDeviceName());
            }
        }
        lines.add("default: " + TornadoExecutionPlan.DEFAULT_DEVICE.getPhysicalDevice().getDeviceName());
        return lines;
    }

    /** The device in words: its name and platform. */
    static String describe(TornadoDevice device) {
        return device.getPhysicalDevice().getDeviceName() + " (" + device.getPlatformName() + ")";
    }
}
