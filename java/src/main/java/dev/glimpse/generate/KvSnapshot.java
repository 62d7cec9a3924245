package dev.glimpse.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glimpse.model.KvCache;
import dev.glimpse.model.Model;
import dev.glimpse.model.TextConfig;
import dev.glimpse.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A conversation saved to a file and resumed later (issue 4's --save-kv / --load-kv): the KV rows of
 * every layer, the tokens they hold, the next rope position and the pending token. Layout: magic
 * "GLMPSKV", format version (u8), header length (u32 LE), JSON header, then per layer the keys and
 * the values as little-endian float32 rows, then a CRC-32 of everything before it. The header names
 * the model (shapes and a checksum of some weights) so a file is refused on another model.
 */
public final class KvSnapshot {

    public static final int VERSION = 1;
    private static final byte[] MAGIC = "GLMPSKV".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    private KvSnapshot() {
    }

    public static void save(Session session, Path file) throws IOException {
        Model model = session.model();
        KvCache cache = session.cache();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("model", fingerprint(model));
        header.put("length", cache.length());
        header.put("next_position", session.nextPosition());
        header.put("pending", session.pendingToken());
        header.put("tokens", session.cachedTokens());
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        CRC32 crc = new CRC32();
        try (var out = new DataOutputStream(new CheckedOutputStream(
                new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20), crc))) {
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeInt(Integer.reverseBytes(headerBytes.length));
            out.write(headerBytes);
            int rows = cache.length();
            for (int l = 0; l < cache.layers(); l++) {
                writeRows(out, model, cache.keys(l, rows));
                writeRows(out, model, cache.values(l, rows));
            }
            out.flush();
            long sum = crc.getValue();
            out.writeLong(Long.reverseBytes(sum));
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Restores a conversation on this model; the context holds at least the saved rows. */
    public static Session load(Model model, Path file, int contextTokens) throws IOException {
        long size = Files.size(file);
        CRC32 crc = new CRC32();
        try (var in = new DataInputStream(new CheckedInputStream(
                new BufferedInputStream(Files.newInputStream(file), 1 << 20), crc))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + " is not a Glimpse KV snapshot (bad magic)");
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IOException(file + " is KV snapshot format " + version + "; this Glimpse reads format " + VERSION);
            }
            int headerLength = Integer.reverseBytes(in.readInt());
            if (headerLength <= 0 || headerLength > size) {
                throw new IOException(file + " is corrupt: header length " + headerLength);
            }
            byte[] headerBytes = new byte[headerLength];
            in.readFully(headerBytes);
            JsonNode header = JSON.readTree(headerBytes);
            JsonNode expected = JSON.valueToTree(fingerprint(model));
            if (!expected.equals(header.get("model"))) {
                throw new IOException(file + " was saved from another model (" + header.get("model")
                        + "); this model is " + expected);
            }
            int length = header.get("length").asInt();
            int[] tokens = new int[header.get("tokens").size()];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = header.get("tokens").get(i).asInt();
            }
            if (length < 0 || tokens.length != length) {
                throw new IOException(file + " is corrupt: " + tokens.length + " tokens for " + length + " rows");
            }
            TextConfig t = model.config().text();
            long expectedSize = MAGIC.length + 1 + 4 + headerLength
                    + 2L * t.layers() * length * t.kvHeads() * t.headDim() * Float.BYTES + 8;
            if (size != expectedSize) {
                throw new IOException(file + " is truncated or corrupt: " + size + " bytes, expected " + expectedSize);
            }
            Session session = new Session(model, model.newCache(Math.max(contextTokens > 0 ? contextTokens : model.defaultContext(), length + 1)),
                    tokens, header.get("next_position").asInt(), header.get("pending").asInt());
            try {
                KvCache cache = session.cache();
                for (int l = 0; l < cache.layers(); l++) {
                    readRows(in, model, cache.keys(l, length));
                    readRows(in, model, cache.values(l, length));
                }
                long sum = crc.getValue();
                long stored = Long.reverseBytes(in.readLong());
                if (sum != stored) {
                    throw new IOException(file + " is corrupt: checksum mismatch");
                }
                cache.advance(length);
                return session;
            } catch (IOException | RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
    }

    /** What a snapshot must agree on: the decoder's shapes and a checksum of weights that differ per model. */
    static Map<String, Object> fingerprint(Model model) {
        TextConfig t = model.config().text();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", t.layers());
        m.put("kv_heads", t.kvHeads());
        m.put("head_dim", t.headDim());
        m.put("hidden", t.hiddenSize());
        m.put("vocab", t.vocabSize());
        m.put("rope_theta", t.ropeTheta());
        CRC32 crc = new CRC32();
        for (String name : new String[] {"model.norm.weight", "model.layers.0.self_attn.k_proj.bias"}) {
            Tensor w = model.checkpoint().tensor(name);
            crc.update(w.data().asByteBuffer());
        }
        m.put("weights_crc32", Long.toHexString(crc.getValue()));
        return m;
    }

    private static void writeRows(DataOutputStream out, Model model, Tensor rows) throws IOException {
        float[] host = new float[Math.toIntExact(rows.numel())];
        model.backend().read(rows, host);
        ByteBuffer buf = ByteBuffer.allocate(host.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(host);
        out.write(buf.array());
    }

    private static void readRows(DataInputStream in, Model model, Tensor rows) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(rows.numel() * Float.BYTES)];
        in.readFully(bytes);
        float[] host = new float[Math.toIntExact(rows.numel())];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(host);
        model.backend().write(rows, host);
    }
}
