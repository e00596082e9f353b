package org.likra.tokenize;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-level BPE (tiktoken's r50k_base, through jtokkit): 50,257 ids, {@code <|endoftext|>} = 50256
 * serving as both BOS and EOS. Text that happens to contain "<|endoftext|>" is encoded as ordinary text.
 */
public final class Gpt2Tokenizer implements Tokenizer {
    public static final String TYPE = "gpt2";
    public static final int VOCAB = 50257;
    public static final int END_OF_TEXT = 50256;
    public static final TokenizerSpec SPEC = new TokenizerSpec(TYPE, null);

    private static final class Holder {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int[] encode(String text) {
        return Holder.ENCODING.encodeOrdinary(text).toArray();
    }

    /** The text of {@code ids}; {@code <|endoftext|>} and ids outside the vocabulary print nothing. */
    @Override
    public String decode(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < END_OF_TEXT) {
                list.add(id);
            }
        }
        return new String(Holder.ENCODING.decodeBytes(list), StandardCharsets.UTF_8);
    }

    @Override
    public int bos() {
        return END_OF_TEXT;
    }

    @Override
    public int eos() {
        return END_OF_TEXT;
    }

    @Override
    public TokenizerSpec spec() {
        return SPEC;
    }
}
