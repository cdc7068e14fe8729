package dev.raftj.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * GPT-2's bytes_to_unicode: every byte gets a printable character, so byte-level BPE can work on
 * strings. Printable Latin-1 bytes map to themselves; the other 68 go to U+0100 upwards in byte
 * order (space becomes 'Ġ', newline 'Ċ').
 */
final class ByteLevel {

    /** The 256 bytes in the order GPT-2 lists them: '!'..'~', '¡'..'¬', '®'..'ÿ', then the rest. */
    static final int[] BYTE_ORDER = new int[256];
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                BYTE_TO_CHAR[b] = (char) b;
                BYTE_ORDER[n++] = b;
            }
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                BYTE_TO_CHAR[b] = (char) (256 + extra++);
                BYTE_ORDER[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteLevel() {}

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The UTF-8 bytes of text, one mapped character per byte. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = charOf(bytes[i]);
        return new String(out);
    }

    /**
     * HF's ByteLevel decoder: each token's characters map back to bytes; a token holding any
     * character outside the map (an added token such as "<｜end▁of▁sentence｜>") is copied as its
     * own UTF-8. Invalid UTF-8 in the result becomes U+FFFD.
     */
    static String decode(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String token : tokens) {
            byte[] mapped = new byte[token.length()];
            boolean allMapped = true;
            for (int i = 0; i < token.length() && allMapped; i++) {
                char c = token.charAt(i);
                int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
                allMapped = b >= 0;
                if (allMapped) mapped[i] = (byte) b;
            }
            byte[] raw = allMapped ? mapped : token.getBytes(StandardCharsets.UTF_8);
            bytes.write(raw, 0, raw.length);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
