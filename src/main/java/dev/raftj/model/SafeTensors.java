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

    /** Reads every tensor of one file, in its stored dtype, into LibTorch-owned CPU memory. */
    public static Map<String, Tensor> read(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) throw new UserError(file + ": not a safetensors file (shorter than 8 bytes)");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long headerLen = len.getLong(0);
            if (headerLen <= 0 || 8 + headerLen > fileSize) {
                throw new UserError(file + ": not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UserError(file + ": malformed safetensors header: " + e.getMessage());
            }
            long dataStart = 8 + headerLen;
            // The whole file as one private (copy-on-write) memory map owned by LibTorch: tensors are
            // views into it, nothing is read or copied until used, and the mapping lives as long as
            // any of them. Training writes into private pages; the file never changes.
            Tensor whole = torch.from_file(file.toString(), new BoolOptional(false), new LongOptional(fileSize),
                    new TensorOptions(ScalarType.Byte));
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                out.put(e.getKey(), readTensor(whole, file, e.getKey(), e.getValue(), dataStart, fileSize));
            }
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": file not found");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    private static Tensor readTensor(Tensor whole, Path file, String name, JsonNode info, long dataStart,
                                     long fileSize) {
        ScalarType dtype = dtype(file, name, info.path("dtype").asText());
        JsonNode shapeNode = info.path("shape");
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) numel *= (shape[i] = shapeNode.get(i).asLong());
        long begin = info.path("data_offsets").path(0).asLong(-1);
        long end = info.path("data_offsets").path(1).asLong(-1);
        long bytes = numel * torch.elementSize(dtype);
        if (begin < 0 || end - begin != bytes || dataStart + end > fileSize) {
            throw UserError.field(file, name + ".data_offsets",
                    "[" + begin + ", " + end + "] does not hold " + bytes + " bytes of shape " + java.util.Arrays.toString(shape));
        }
        if (bytes == 0) return torch.empty(shape, new TensorOptions(dtype), null);
        Tensor raw = whole.narrow(0, dataStart + begin, bytes);
        // A dtype view needs an offset that is a multiple of the element size (safetensors writers
        // align data); otherwise copy this tensor's bytes out first.
        if ((dataStart + begin) % torch.elementSize(dtype) != 0) raw = raw.clone();
        return raw.view(dtype).view(shape);
    }

    /** Reads a checkpoint folder's weights: model.safetensors, or the shards its index names. */
    public static Map<String, Tensor> readCheckpoint(Path dir) {
        Path single = dir.resolve(SINGLE);
        Path index = dir.resolve(INDEX);
        if (Files.exists(single)) return read(single);
        if (!Files.exists(index)) {
            throw new UserError(dir + ": no " + SINGLE + " or " + INDEX + " (raftj reads safetensors weights)");
        }
        JsonNode map;
        try {
            map = JSON.readTree(index.toFile()).get("weight_map");
        } catch (IOException e) {
            throw new UserError(index + ": malformed JSON: " + e.getMessage());
        }
        if (map == null || !map.isObject()) throw UserError.field(index, "weight_map", "missing or not an object");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String shard : new java.util.TreeSet<>(valuesOf(map))) out.putAll(read(dir.resolve(shard)));
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

    static String dtypeName(ScalarType t) {
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
