package dev.raftj.model;

import dev.raftj.torch.Torch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The safetensors format: 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw bytes.
 * Also HF's sharded form: {@code model.safetensors.index.json} with a {@code weight_map}.
 */
public final class SafeTensors {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** HF's safetensors refuses headers over 100 MB; so does raftj (a bigger one is corruption). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper STRICT_JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** One tensor's entry in a header, checked. */
    private record Entry(String name, ScalarType dtype, long[] shape, long begin, long end) {}

    /** Reads every tensor of one file, in its stored dtype, as views of a LibTorch-owned memory map. */
    public static Map<String, Tensor> read(Path file) {
        return read(file, false);
    }

    /**
     * Reads every tensor of one file. The header is checked as a whole before any data is read:
     * known dtypes, shapes of non-negative sizes whose byte length (in 64-bit arithmetic) equals
     * the offsets' span, offsets inside the data and no two tensors overlapping. With
     * {@code requireFinite} every floating tensor is scanned for NaN and ±∞ (one vectorised pass
     * over the mapped pages, which also pages the weights in) and a non-finite one is an error
     * naming the tensor.
     */
    public static Map<String, Tensor> read(Path file, boolean requireFinite) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) throw new UserError(file + ": not a safetensors file (shorter than 8 bytes)");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long headerLen = len.getLong(0);
            if (headerLen <= 0 || headerLen > fileSize - 8) {
                throw new UserError(file + ": not a safetensors file (header length " + Long.toUnsignedString(headerLen)
                        + " in a file of " + fileSize + " bytes)");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new UserError(file + ": safetensors header of " + headerLen + " bytes exceeds the format's limit of "
                        + MAX_HEADER_BYTES);
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            while (hb.hasRemaining() && ch.read(hb, 8 + hb.position()) > 0) { }
            hb.flip();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(hb).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new UserError(file + ": malformed safetensors header: not valid UTF-8");
            }
            JsonNode header;
            try {
                header = STRICT_JSON.readTree(text);
            } catch (IOException e) {
                String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
                throw new UserError(file + ": malformed safetensors header: " + msg);
            }
            if (header == null || !header.isObject()) {
                throw new UserError(file + ": malformed safetensors header: expected a JSON object of tensors");
            }
            long dataStart = 8 + headerLen;
            List<Entry> entries = entries(file, header, fileSize - dataStart);
            // The whole file as one private (copy-on-write) memory map owned by LibTorch: tensors are
            // views into it, nothing is copied, and the mapping lives as long as any of them.
            // Training writes into private pages; the file never changes.
            Tensor whole = torch.from_file(file.toString(), new BoolOptional(false), new LongOptional(fileSize),
                    new TensorOptions(ScalarType.Byte));
            for (Entry e : entries) out.put(e.name(), readTensor(whole, file, e, dataStart, requireFinite));
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": file not found");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** The header's tensors in header order, every field checked and no two overlapping. */
    private static List<Entry> entries(Path file, JsonNode header, long dataBytes) {
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode info = e.getValue();
            if (name.equals("__metadata__")) {
                if (!info.isObject()) throw UserError.field(file, "__metadata__", "expected an object of strings, got " + info);
                continue;
            }
            if (!info.isObject()) throw UserError.field(file, name, "expected {dtype, shape, data_offsets}, got " + info);
            JsonNode dt = info.get("dtype");
            if (dt == null || !dt.isTextual()) throw UserError.field(file, name + ".dtype", "missing or not a string");
            ScalarType dtype = dtype(file, name, dt.asText());
            JsonNode shapeNode = info.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) throw UserError.field(file, name + ".shape", "missing or not a list");
            long[] shape = new long[shapeNode.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw UserError.field(file, name + ".shape", "sizes must be non-negative integers, got " + shapeNode);
                }
                shape[i] = d.asLong();
            }
            long bytes;
            try {
                for (long d : shape) numel = Math.multiplyExact(numel, d);
                bytes = Math.multiplyExact(numel, torch.elementSize(dtype));
            } catch (ArithmeticException overflow) {
                throw UserError.field(file, name + ".shape", java.util.Arrays.toString(shape) + " of " + dt.asText()
                        + " is larger than any file (its byte size overflows 64 bits)");
            }
            JsonNode offsets = info.get("data_offsets");
            if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                    || !offsets.get(1).isIntegralNumber() || !offsets.get(0).canConvertToLong()
                    || !offsets.get(1).canConvertToLong()) {
                throw UserError.field(file, name + ".data_offsets", "expected [begin, end] (two integers), got " + offsets);
            }
            long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
            if (begin < 0 || end < begin) {
                throw UserError.field(file, name + ".data_offsets", "[" + begin + ", " + end + "] is not a byte range");
            }
            if (end - begin != bytes) {
                throw UserError.field(file, name + ".data_offsets", "[" + begin + ", " + end + "] spans " + (end - begin)
                        + " bytes but shape " + java.util.Arrays.toString(shape) + " of " + dt.asText() + " needs " + bytes);
            }
            if (end > dataBytes) {
                throw UserError.field(file, name + ".data_offsets", "[" + begin + ", " + end + "] runs past the end of the"
                        + " file (it holds " + dataBytes + " bytes of data; truncated?)");
            }
            entries.add(new Entry(name, dtype, shape, begin, end));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.removeIf(x -> x.end() == x.begin());
        byOffset.sort(java.util.Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.begin() < a.end()) {
                throw UserError.field(file, b.name() + ".data_offsets", "[" + b.begin() + ", " + b.end()
                        + "] overlaps tensor '" + a.name() + "' at [" + a.begin() + ", " + a.end() + "]");
            }
        }
        return entries;
    }

    private static Tensor readTensor(Tensor whole, Path file, Entry e, long dataStart, boolean requireFinite) {
        long bytes = e.end() - e.begin();
        if (bytes == 0) return torch.empty(e.shape(), new TensorOptions(e.dtype()), null);
        Tensor raw = whole.narrow(0, dataStart + e.begin(), bytes);
        // A dtype view needs an offset that is a multiple of the element size (safetensors writers
        // align data); otherwise copy this tensor's bytes out first.
        if ((dataStart + e.begin()) % torch.elementSize(e.dtype()) != 0) raw = raw.clone();
        Tensor t = raw.view(e.dtype()).view(e.shape());
        if (requireFinite && t.is_floating_point() && !dev.raftj.torch.Finite.all(t)) {
            throw new UserError(file + ": tensor '" + e.name() + "' holds non-finite values ("
                    + dev.raftj.torch.Finite.describe(t) + "): a corrupted or diverged checkpoint, which raftj will not run");
        }
        return t;
    }

    /**
     * Reads a checkpoint folder's weights: model.safetensors, or the shards its index names. Every
     * floating weight is checked to be finite (see {@link #read(Path, boolean)}); a sharded index
     * must name plain files in the folder and agree with the shards on which tensor is where.
     */
    public static Map<String, Tensor> readCheckpoint(Path dir) {
        Path single = dir.resolve(SINGLE);
        Path index = dir.resolve(INDEX);
        if (Files.exists(single)) return read(single, true);
        if (!Files.exists(index)) {
            throw new UserError(dir + ": no " + SINGLE + " or " + INDEX + " (raftj reads safetensors weights)");
        }
        JsonNode map;
        try {
            map = STRICT_JSON.readTree(index.toFile()).get("weight_map");
        } catch (IOException e) {
            throw new UserError(index + ": malformed JSON: " + e.getMessage());
        }
        if (map == null || !map.isObject()) throw UserError.field(index, "weight_map", "missing or not an object");
        Map<String, String> where = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals(".") || shard.equals("..")) {
                throw UserError.field(index, "weight_map." + e.getKey(), "expected a file name in " + dir + ", got " + e.getValue());
            }
            where.put(e.getKey(), shard);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String shard : new java.util.TreeSet<>(where.values())) {
            for (Map.Entry<String, Tensor> t : read(dir.resolve(shard), true).entrySet()) {
                String listed = where.get(t.getKey());
                if (!shard.equals(listed)) {
                    throw UserError.field(index, "weight_map", dir.resolve(shard) + " holds tensor '" + t.getKey() + "' but "
                            + (listed == null ? "the index does not list it" : "the index puts it in " + listed));
                }
                out.put(t.getKey(), t.getValue());
            }
        }
        for (Map.Entry<String, String> e : where.entrySet()) {
            if (!out.containsKey(e.getKey())) {
                throw UserError.field(index, "weight_map." + e.getKey(), "names " + e.getValue() + ", which holds no such tensor");
            }
        }
        return out;
    }

    private static List<String> valuesOf(JsonNode map) {
        List<String> v = new ArrayList<>();
        map.fields().forEachRemaining(e -> v.add(e.getValue().asText()));
        return v;
    }

    /**
     * Writes tensors (any device, any dtype) to one safetensors file, atomically (temp + rename).
     * Keys are written in sorted order with 8-byte aligned data, as the Python writer does.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);
        List<Tensor> ordered = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue().detach().cpu().contiguous();
            ordered.add(t);
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", dtypeName(Torch.dtype(t)));
            var shape = info.putArray("shape");
            for (int i = 0; i < t.dim(); i++) shape.add(t.size(i));
            long n = t.nbytes();
            info.putArray("data_offsets").add(offset).add(offset + n);
            offset += n;
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(headerBytes);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) ch.write(head);
            for (Tensor t : ordered) {
                long n = t.nbytes();
                if (n == 0) continue;
                ByteBuffer data = new BytePointer(t.data_ptr()).capacity(n).asByteBuffer();
                while (data.hasRemaining()) ch.write(data);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
        moveAtomically(tmp, file);
    }

    static void moveAtomically(Path tmp, Path target) {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UserError(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    static ScalarType dtype(Path file, String name, String code) {
        return switch (code) {
            case "F32" -> ScalarType.Float;
            case "BF16" -> ScalarType.BFloat16;
            case "F16" -> ScalarType.Half;
            case "F64" -> ScalarType.Double;
            case "I64" -> ScalarType.Long;
            case "I32" -> ScalarType.Int;
            case "I16" -> ScalarType.Short;
            case "I8" -> ScalarType.Char;
            case "U8" -> ScalarType.Byte;
            case "BOOL" -> ScalarType.Bool;
            default -> throw UserError.field(file, name + ".dtype", "unsupported dtype '" + code + "'");
        };
    }

    public static String dtypeName(ScalarType t) {
        return switch (t) {
            case Float -> "F32";
            case BFloat16 -> "BF16";
            case Half -> "F16";
            case Double -> "F64";
            case Long -> "I64";
            case Int -> "I32";
            case Short -> "I16";
            case Char -> "I8";
            case Byte -> "U8";
            case Bool -> "BOOL";
            default -> throw new IllegalArgumentException("no safetensors dtype for " + t);
        };
    }
}
