package org.likra.tokenize;

import java.nio.charset.StandardCharsets;

/** Byte-level tokenizer: each UTF-8 byte is one token (ids 0-255); no BOS or EOS. */
public final class ByteTokenizer implements Tokenizer {
    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public int bos() {
        return -1;
    }

    @Override
    public int eos() {
        return -1;
    }

    @Override
    public TokenizerSpec spec() {
        return TokenizerSpec.BYTE;
    }
}
