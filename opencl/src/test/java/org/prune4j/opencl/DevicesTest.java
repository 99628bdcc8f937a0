package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;

/** Device listing and --device selection, checked against clinfo and against a process that sees no OpenCL platform. */
class DevicesTest {

    /** Device names as the OpenCL ICD loader reports them ({@code clinfo -l}), or null when clinfo is not installed. */
    static List<String> clinfoDevices() throws IOException, InterruptedException {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
            if (Files.isExecutable(Path.of(dir, "clinfo"))) found = true;
        if (!found) return null;
        Process p = new ProcessBuilder("clinfo", "-l").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            int i = line.indexOf("Device #");
            if (i >= 0) names.add(line.substring(line.indexOf(':', i) + 1).trim());
        }
        return names;
    }

    @Test
    void listingAgreesWithClinfo() throws Exception {
        List<String> clinfo = clinfoDevices();
        Assumptions.assumeTrue(clinfo != null, "skipped: clinfo is not installed, nothing independent to compare with");
        List<String> ours = Devices.list().stream().map(ClDevice::name).toList();
        assertEquals(clinfo, ours, "Aparapi's device list vs clinfo -l");
        assertEquals(ours.isEmpty(), Devices.unavailableReason() != null);
    }

    @Test
    void specsSelectTheRightBackend() {
        assertTrue(Backends.isValidSpec("opencl:3"));
        assertFalse(Backends.isValidSpec("gpu"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Backends.select("gpu", 1));
        assertTrue(bad.getMessage().contains("cpu, opencl, opencl:INDEX or auto"), bad.getMessage());
        try (Kernels cpu = Backends.select("cpu", 1)) {
            assertInstanceOf(VectorKernels.class, cpu);
        }
        try (Kernels auto = Backends.select("auto", 1)) {
            if (Devices.firstGpu().isPresent()) {
                OpenCLKernels k = assertInstanceOf(OpenCLKernels.class, auto);
                assertTrue(k.device().isGpu(), "auto picks a GPU: " + k.device().describe());
            } else {
                assertInstanceOf(VectorKernels.class, auto, "auto without an OpenCL GPU is the CPU backend");
            }
        }
        Assumptions.assumeTrue(Devices.available(), () -> "skipped: no OpenCL device (" + Devices.unavailableReason() + ")");
        try (Kernels k = Backends.select("opencl:0", 1)) {
            assertEquals(Devices.list().get(0), assertInstanceOf(OpenCLKernels.class, k).device());
            assertEquals("opencl[" + Devices.list().get(0).name() + "]", k.name());
        }
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> Backends.select("opencl:" + Devices.list().size(), 1));
        assertTrue(range.getMessage().contains("numbered 0.."), range.getMessage());
    }

    /** Entry point of the child JVM below: prints what asking for OpenCL gives when the ICD loader finds no platform. */
    public static void main(String[] args) {
        System.out.println("devices=" + Devices.list().size());
        System.out.println("auto=" + Backends.select("auto", 1).name());
        try {
            Backends.select("opencl", 1);
            System.out.println("opencl=opened");
        } catch (IllegalStateException e) {
            System.out.println("error=" + e.getMessage());
        }
    }

    @Test
    void withoutAnyPlatformOpenclIsAClearErrorAndAutoIsTheCpu() throws Exception {
        // OCL_ICD_VENDORS pointing at an empty folder makes the ICD loader see no driver at all
        Path empty = Files.createTempDirectory("no-icd");
        try {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), DevicesTest.class.getName());
            pb.environment().put("OCL_ICD_VENDORS", empty.toString());
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertTrue(out.contains("devices=0"), out);
            assertTrue(out.contains("auto=vector["), "auto falls back to the CPU backend: " + out);
            assertTrue(out.contains("error=--device opencl: no OpenCL device found ("), "opencl is refused with the reason: " + out);
            assertFalse(out.contains("opencl=opened"), out);
        } finally {
            Files.deleteIfExists(empty);
        }
    }
}
