package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cpu engine's JVM settings ({@code -Dlikra.cpu...}) are read once, when its classes initialise, so each case
 * runs the CLI in a JVM of its own: a bad value is one line naming the setting and the value, and exit code 1.
 */
class CpuSettingsTest {

    private record Result(int code, String err) {
    }

    private static Result bench(String setting) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "--add-modules", "jdk.incubator.vector", setting, "-cp",
                System.getProperty("java.class.path"), "org.likra.cli.Main", "bench", "--warmup", "0",
                "--warmup-seconds", "0", "--steps", "1");
        Process child = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        return new Result(child.exitValue(), err);
    }

    /** The "engine" line of a one-step bench of a tiny model in a JVM with these settings. */
    private static String engineLine(String... settings) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
        command.addAll(List.of(settings));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.likra.cli.Main", "bench", "--model",
                "gpt2-1m", "--batch", "1", "--seq", "16", "--threads", "1", "--warmup", "0", "--warmup-seconds", "0",
                "--steps", "1"));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, child.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("engine   cpu")).findFirst().orElse("no engine line in: " + out);
    }

    @Test
    void benchNamesTheKernelThatTheVectorWidthSelects() throws Exception {
        assertEquals("engine   cpu, f32, 1 thread, 256-bit vectors, 4 x 16 micro-kernel, depth blocks of up to 384",
                engineLine("-Dlikra.cpu.vectorBits=256"));
        assertEquals("engine   cpu, f32, 1 thread, 512-bit vectors, 8 x 32 micro-kernel (4 x 32 at edges), depth blocks "
                + "of up to 192", engineLine("-Dlikra.cpu.vectorBits=512"));
        assertEquals("engine   cpu, f32, 1 thread, 512-bit vectors, 4 x 32 micro-kernel, depth blocks of up to 96",
                engineLine("-Dlikra.cpu.vectorBits=512", "-Dlikra.cpu.eightRows=false", "-Dlikra.cpu.depthBlock=96"));
    }

    private static void assertOneLine(Result r, String expected) {
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).contains(expected), r.err());
    }

    @Test
    void aDepthBlockThatIsNotAPositiveNumberIsOneLine() throws Exception {
        assertOneLine(bench("-Dlikra.cpu.depthBlock=abc"),
                "likra.cpu.depthBlock must be a positive whole number of depth steps, got 'abc'");
        assertOneLine(bench("-Dlikra.cpu.depthBlock=0"), "got '0'");
    }

    @Test
    void anEightRowSettingThatIsNotTrueOrFalseIsOneLine() throws Exception {
        assertOneLine(bench("-Dlikra.cpu.eightRows=yes"), "likra.cpu.eightRows must be true or false, got 'yes'");
    }

    @Test
    void aVectorWidthThatIsNotOneOfTheFourIsOneLine() throws Exception {
        assertOneLine(bench("-Dlikra.cpu.vectorBits=300"),
                "likra.cpu.vectorBits must be 64, 128, 256 or 512, got '300'");
    }
}
