package org.likra.model;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The model package sits below the packages that train and adapt models: no code line of its sources (comments
 * aside) names org.likra.lora, .train, .experiment or .cli (LoRA reaches the model through {@link Adapter}).
 */
class ModelLayeringTest {
    private static final List<String> ABOVE = List.of("org.likra.lora.", "org.likra.train.", "org.likra.experiment.",
            "org.likra.cli.");

    @Test
    void theModelPackageNamesNoPackageAboveIt() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/org/likra/model"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")) {
                        continue;
                    }
                    for (String above : ABOVE) {
                        if (line.contains(above)) {
                            found.add(file.getFileName() + ":" + (i + 1) + ": " + line);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
