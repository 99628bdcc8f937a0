package org.prune4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.opencl.Backends;
import org.prune4j.opencl.ClDevice;
import org.prune4j.opencl.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code prune4j devices}: the OpenCL platforms and devices this machine offers, and what each --device value picks. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List OpenCL platforms and devices (what --device opencl, opencl:INDEX and auto use).")
public final class DevicesCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        List<ClDevice> devices = Devices.list();
        StringBuilder text = new StringBuilder();
        List<Map<String, Object>> json = new ArrayList<>();
        if (devices.isEmpty()) {
            text.append("No OpenCL device: ").append(Devices.unavailableReason()).append('\n');
        } else {
            String platform = null;
            for (ClDevice d : devices) {
                if (!d.platform().equals(platform)) {
                    platform = d.platform();
                    text.append("platform ").append(d.platform()).append(" (").append(d.platformVendor()).append("), ").append(d.platformVersion()).append('\n');
                }
                text.append(String.format(Locale.ROOT, "  opencl:%d  %-7s %s: %d compute units, %s global, %s local, %s max buffer, work-groups up to %d%n",
                        d.index(), d.type(), d.name(), d.computeUnits(), bytes(d.globalMemBytes()), bytes(d.localMemBytes()),
                        bytes(d.maxAllocBytes()), d.maxWorkGroupSize()));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("index", d.index());
                m.put("device", "opencl:" + d.index());
                m.put("name", d.name());
                m.put("type", d.type());
                m.put("platform", d.platform());
                m.put("platformVendor", d.platformVendor());
                m.put("platformVersion", d.platformVersion());
                m.put("computeUnits", d.computeUnits());
                m.put("globalMemBytes", d.globalMemBytes());
                m.put("localMemBytes", d.localMemBytes());
                m.put("maxAllocBytes", d.maxAllocBytes());
                m.put("maxWorkGroupSize", d.maxWorkGroupSize());
                json.add(m);
            }
        }
        String opencl = Backends.resolve("opencl"), auto = Backends.resolve("auto");
        text.append("--device opencl -> ").append(opencl == null ? "unavailable" : opencl).append('\n');
        text.append("--device auto   -> ").append(auto).append('\n');
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("available", !devices.isEmpty());
        result.put("reason", Devices.unavailableReason());
        result.put("devices", json);
        result.put("opencl", opencl);
        result.put("auto", auto);
        common.emit(text.toString(), result);
        return 0;
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.0f KiB", b / 1024.0);
    }
}
