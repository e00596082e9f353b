package org.likra.train;

import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Text files of integer rows: one token sequence (or mask) per line, space-separated. */
public final class TokenFiles {
    private TokenFiles() {
    }

    /** Reads every non-empty line as a row of integers; errors name the file and line. */
    public static List<int[]> readRows(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            int[] row = new int[fields.length];
            for (int j = 0; j < fields.length; j++) {
                try {
                    row[j] = Integer.parseInt(fields[j]);
                } catch (NumberFormatException e) {
                    throw new UserError(file + ":" + (i + 1) + ": '" + fields[j] + "' (field " + (j + 1)
                            + ") is not an integer");
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new UserError(file + ": no rows (expected one space-separated sequence per line)");
        }
        return rows;
    }
}
