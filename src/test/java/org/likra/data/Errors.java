package org.likra.data;

import org.junit.jupiter.api.function.Executable;
import org.likra.util.UserError;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asserts that input errors are one-line UserErrors starting with "source:line: ". */
final class Errors {
    private Errors() {
    }

    static String expect(String source, int line, String fragment, Executable run) {
        UserError e = assertThrows(UserError.class, run);
        String m = e.getMessage();
        assertTrue(m.startsWith(source + ":" + line + ": "), () -> "expected '" + source + ":" + line + ": ...', got: " + m);
        assertTrue(m.contains(fragment), () -> "expected '" + fragment + "' in: " + m);
        assertFalse(m.contains("\n"), () -> "message is not one line: " + m);
        return m;
    }
}
