package org.likra.util;

/**
 * An error caused by the user's input (a file, a flag, a preset), reported as one line without a stack trace.
 * The message says what is wrong, where (file and line, or tensor name) and what to do.
 */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
