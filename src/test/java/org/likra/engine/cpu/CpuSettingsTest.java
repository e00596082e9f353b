package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
