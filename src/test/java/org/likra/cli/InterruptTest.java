package org.likra.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.likra.io.ModelDirectory;
import org.likra.model.NonFinite;
import org.likra.train.RunCheckpoint;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Ctrl-C (SIGINT) and SIGTERM sent to a real {@code likra pretrain} process: it saves a checkpoint of the step it
 * was on and exits with the signal's status; the run resumes from it to the same model, bit for bit, as a run that
 * was never interrupted. No checkpoint is due by steps or by time, so only the signal can have saved one.
 */
class InterruptTest {
    @TempDir
    Path dir;

    private static final List<String> SETTINGS = List.of("--model", "llama-tiny", "--batch", "2", "--seq", "16",
            "--schedule", "constant", "--warmup", "3", "--eval-every", "1000000", "--checkpoint-every", "1000000",
            "--checkpoint-minutes", "0", "--no-progress", "--engine", "reference");

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalSavesACheckpointAndTheRunResumesBitIdentically(String signal) throws Exception {
        // A process started with SIGINT ignored (a background job of a non-interactive shell) passes that on to
        // its children, whose JVM then leaves SIGINT ignored: nothing to test there.
        assumeFalse(signal.equals("INT") && ignoresSigint(), "SIGINT is ignored in this process and its children");
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "the cat sat on the mat. the dog ran far away. ".repeat(60));
        Path out = dir.resolve("run");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "org.likra.cli.Main", "pretrain", "--corpus", corpus.toString(), "--out", out.toString(),
                "--steps", "1000000"));
        command.addAll(SETTINGS);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuffer output = new StringBuffer();
        CountDownLatch looping = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    output.append(line).append('\n');
                    // The header's second line is printed once the signal handler is in place and the loop starts.
                    if (line.startsWith("  engine ")) {
                        looping.countDown();
                    }
                }
            } catch (java.io.IOException e) {
                output.append(e);
            }
        });
        reader.start();
        try {
            // Bounds on a broken run, not timings: the run starts within seconds and stops within one step.
            assertTrue(looping.await(120, TimeUnit.SECONDS), "the run did not start: " + output);
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the run did not stop: " + output);
        } finally {
            process.destroyForcibly();
            reader.join();
        }
        assertEquals(128 + (signal.equals("INT") ? 2 : 15), process.exitValue(), output.toString());
        assertTrue(output.toString().contains("interrupted: stopped after step "), output.toString());
        Path checkpoint = RunCheckpoint.find(out);
        int step = RunCheckpoint.readState(checkpoint).step();
        assertTrue(step >= 1, "step " + step);
        assertNull(NonFinite.find(ModelDirectory.readRaw(checkpoint).layout(),
                ModelDirectory.readRaw(checkpoint).values()));

        String steps = Integer.toString(step + 2);
        assertEquals(0, run("pretrain", "--resume", "--out", out.toString(), "--steps", steps, "--engine",
                "reference", "--no-progress"));
        Path straight = dir.resolve("straight");
        List<String> args = new ArrayList<>(List.of("pretrain", "--corpus", corpus.toString(), "--out",
                straight.toString(), "--steps", steps));
        args.addAll(SETTINGS);
        assertEquals(0, run(args.toArray(String[]::new)));
        assertArrayEquals(ModelDirectory.readRaw(straight).values(), ModelDirectory.readRaw(out).values());
    }

    /** Whether this process ignores SIGINT (bit 1 of SigIgn in /proc/self/status). */
    private static boolean ignoresSigint() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 2) != 0;
            }
        }
        return false;
    }

    private static int run(String... args) {
        PrintStream saved = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream()));
        try {
            return Main.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
    }
}
