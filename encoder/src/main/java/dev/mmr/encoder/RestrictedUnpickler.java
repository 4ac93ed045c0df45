package dev.mmr.encoder;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} zip without executing anything: it implements only the
 * pickle opcodes that saving a state dict produces, and the only globals it accepts are
 * {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and the float storage types.
 * Any other global is refused by name before it could be used ("refusing pickle global os.system").
 * The result is the state dict: keys to {@link TensorRef}s that point into the archive's storages.
 * Written here rather than taken from a Java pickle library because those execute or instantiate what a pickle
 * names, which is how a hostile checkpoint runs code; this one can only build a state dict.
 */
final class RestrictedUnpickler {

    /** Deepest nesting of tuples accepted; a state dict nests three deep (the size tuple in the rebuild arguments). */
    static final int MAX_NESTING = 32;

    /** A storage of the archive, {@code <archive>/data/<key>}, holding {@code numel} values of {@code dtype}. */
    record StorageRef(DType dtype, String key, long numel) { }

    /** A tensor as {@code _rebuild_tensor_v2} describes it: a strided view into a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) { }

    private record Global(String module, String name) {
        @Override public String toString() {
            return module + "." + name;
        }
    }

    /** A pickled tuple; {@code depth} is 1 plus the deepest tuple inside it, kept to refuse deep nesting. */
    private record Tuple(List<Object> items, int depth) { }

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Map<Global, DType> STORAGES = Map.of(
            new Global("torch", "FloatStorage"), DType.F32,
            new Global("torch", "HalfStorage"), DType.F16,
            new Global("torch", "BFloat16Storage"), DType.BF16);
    private static final Object MARK = new Object();
    private static final Object NONE = new Object();

    private final byte[] data;
    private final String source;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private RestrictedUnpickler(byte[] data, String source) {
        this.data = data;
        this.source = source;
    }

    /** The state dict pickled in {@code data}, in pickle order; {@code source} names the file in errors. */
    static Map<String, TensorRef> stateDict(byte[] data, String source) throws CheckpointException {
        Object root = new RestrictedUnpickler(data, source).run();
        if (!(root instanceof Map<?, ?> dict)) {
            throw new CheckpointException(source + ": the pickle holds " + describe(root) + ", not a state dict");
        }
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String key) || !(e.getValue() instanceof TensorRef t)) {
                throw new CheckpointException(source + ": state dict entry " + e.getKey() + " is " + describe(e.getValue())
                        + ", not a named tensor");
            }
            tensors.put(key, t);
        }
        return tensors;
    }

    private Object run() throws CheckpointException {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol > 5) {
                        throw error("unsupported pickle protocol " + protocol, at);
                    }
                }
                case '.' -> { // STOP
                    Object result = pop(at);
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw error("stack not empty at STOP", at);
                    }
                    return result;
                }
                case 'c' -> push(global(line(at), line(at), at)); // GLOBAL
                case '(' -> { // MARK
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case ')' -> push(new Tuple(List.of(), 1)); // EMPTY_TUPLE
                case 't' -> push(tupleOf(popToMark(at), at)); // TUPLE
                case 0x85 -> push(tuple(1, at)); // TUPLE1
                case 0x86 -> push(tuple(2, at)); // TUPLE2
                case 0x87 -> push(tuple(3, at)); // TUPLE3
                case '}' -> push(new LinkedHashMap<Object, Object>()); // EMPTY_DICT
                case 's' -> { // SETITEM
                    Object value = pop(at);
                    Object key = pop(at);
                    dict(at).put(stringKey(key, at), value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popToMark(at);
                    if (items.size() % 2 != 0) {
                        throw error("SETITEMS with an odd number of items", at);
                    }
                    Map<Object, Object> dict = dict(at);
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(stringKey(items.get(i), at), items.get(i + 1));
                    }
                }
                case 'X' -> push(utf8(u32(), at)); // BINUNICODE
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | u8() << 8)); // BININT2
                case 'J' -> push((long) u32raw()); // BININT (signed)
                case 0x8a -> push(long1(at)); // LONG1
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(NONE); // NONE
                case 'q' -> memo.put((long) u8(), peek(at)); // BINPUT
                case 'r' -> memo.put(u32(), peek(at)); // LONG_BINPUT
                case 'h' -> push(memoGet(u8(), at)); // BINGET
                case 'j' -> push(memoGet(u32(), at)); // LONG_BINGET
                case 'Q' -> push(persistentLoad(pop(at), at)); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(reduce(callable, args, at));
                }
                case 'b' -> { // BUILD: only the _metadata an OrderedDict state dict carries, which is ignored
                    Object state = pop(at);
                    if (!(peek(at) instanceof Map<?, ?>) || !(state instanceof Map<?, ?>)) {
                        throw error("BUILD of " + describe(peek(at)) + " is not part of a state dict", at);
                    }
                }
                default -> throw error(String.format("unsupported pickle opcode 0x%02x (a state dict does not need it)", op), at);
            }
        }
    }

    private Object global(String module, String name, int at) throws CheckpointException {
        Global g = new Global(module, name);
        if (!g.equals(ORDERED_DICT) && !g.equals(REBUILD_TENSOR) && !STORAGES.containsKey(g)) {
            throw new CheckpointException(source + ": refusing pickle global " + g + " (at byte " + at
                    + "; only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and float storages are allowed)");
        }
        return g;
    }

    private Object reduce(Object callable, Object args, int at) throws CheckpointException {
        if (!(args instanceof Tuple arguments)) {
            throw error("REDUCE arguments are not a tuple", at);
        }
        List<Object> a = arguments.items();
        if (ORDERED_DICT.equals(callable) && a.isEmpty()) {
            return new LinkedHashMap<Object, Object>();
        }
        if (REBUILD_TENSOR.equals(callable) && (a.size() == 6 || a.size() == 7)) {
            if (!(a.get(0) instanceof StorageRef storage) || !(a.get(1) instanceof Long offset)) {
                throw error("_rebuild_tensor_v2 needs a storage and an offset", at);
            }
            long[] size = longs(a.get(2), at);
            long[] stride = longs(a.get(3), at);
            if (size.length != stride.length) {
                throw error("_rebuild_tensor_v2 size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride) + " differ in rank", at);
            }
            return new TensorRef(storage, offset, size, stride);
        }
        throw error("call of " + describe(callable) + " with " + a.size() + " arguments is not part of a state dict", at);
    }

    private Object persistentLoad(Object pid, int at) throws CheckpointException {
        List<Object> t = pid instanceof Tuple tuple ? tuple.items() : List.of();
        if (t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof Global type && t.get(2) instanceof String key && t.get(4) instanceof Long numel) {
            DType dtype = STORAGES.get(type);
            if (dtype == null) {
                throw error("persistent id names " + type + ", not a storage type", at);
            }
            if (numel < 0) {
                throw error("storage " + key + " has negative size " + numel, at);
            }
            return new StorageRef(dtype, key, numel);
        }
        throw error("persistent id " + describe(pid) + " is not a tensor storage", at);
    }

    private long[] longs(Object tuple, int at) throws CheckpointException {
        if (!(tuple instanceof Tuple t)) {
            throw error("expected a tuple of integers, got " + describe(tuple), at);
        }
        List<Object> items = t.items();
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) {
                throw error("expected a tuple of integers, got " + describe(tuple), at);
            }
            out[i] = v;
        }
        return out;
    }

    private Tuple tuple(int n, int at) throws CheckpointException {
        if (stack.size() - lastMark() < n) {
            throw error("stack underflow", at);
        }
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return tupleOf(items, at);
    }

    /** A tuple of {@code items}, refused when tuples nest deeper than {@link #MAX_NESTING}. */
    private Tuple tupleOf(List<Object> items, int at) throws CheckpointException {
        int depth = 1;
        for (Object item : items) {
            if (item instanceof Tuple inner) {
                depth = Math.max(depth, inner.depth + 1);
            }
        }
        if (depth > MAX_NESTING) {
            throw error("tuples nested deeper than " + MAX_NESTING + " (a state dict nests them 3 deep)", at);
        }
        return new Tuple(List.copyOf(items), depth);
    }

    /** A state dict's keys are strings; any other key (a dict holding itself, a deep tuple) is refused before it is hashed. */
    private String stringKey(Object key, int at) throws CheckpointException {
        if (!(key instanceof String s)) {
            throw error("dict key is " + describe(key) + ", not a string", at);
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(int at) throws CheckpointException {
        if (!(peek(at) instanceof Map<?, ?> map)) {
            throw error("setting an item on " + describe(peek(at)) + ", not a dict", at);
        }
        return (Map<Object, Object>) map;
    }

    private List<Object> popToMark(int at) throws CheckpointException {
        if (marks.isEmpty()) {
            throw error("no MARK on the stack", at);
        }
        int mark = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    private int lastMark() {
        return marks.isEmpty() ? 0 : marks.getLast() + 1;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(int at) throws CheckpointException {
        if (stack.size() <= lastMark()) {
            throw error("stack underflow", at);
        }
        return stack.removeLast();
    }

    private Object peek(int at) throws CheckpointException {
        if (stack.size() <= lastMark()) {
            throw error("stack underflow", at);
        }
        return stack.getLast();
    }

    private Object memoGet(long index, int at) throws CheckpointException {
        Object o = memo.get(index);
        if (o == null) {
            throw error("memo entry " + index + " read before it was written", at);
        }
        return o;
    }

    private int u8() throws CheckpointException {
        if (pos >= data.length) {
            throw error("truncated pickle", pos);
        }
        return data[pos++] & 0xff;
    }

    private int u32raw() throws CheckpointException {
        return u8() | u8() << 8 | u8() << 16 | u8() << 24;
    }

    private long u32() throws CheckpointException {
        return u32raw() & 0xffffffffL;
    }

    private Long long1(int at) throws CheckpointException {
        int n = u8();
        if (n > 8 || pos + n > data.length) {
            throw error("LONG1 of " + n + " bytes (integers beyond 64 bits are not part of a state dict)", at);
        }
        byte[] bigEndian = new byte[Math.max(n, 1)];
        for (int i = 0; i < n; i++) {
            bigEndian[n - 1 - i] = data[pos + i];
        }
        pos += n;
        return n == 0 ? 0L : new BigInteger(bigEndian).longValueExact();
    }

    private String utf8(long length, int at) throws CheckpointException {
        if (length > data.length - pos) {
            throw error("string of " + length + " bytes runs past the end of the pickle", at);
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, pos, (int) length)).toString();
            pos += (int) length;
            return s;
        } catch (CharacterCodingException e) {
            throw error("string is not UTF-8", at);
        }
    }

    private String line(int at) throws CheckpointException {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') {
            pos++;
        }
        if (pos >= data.length || pos - start > 256) {
            throw error("malformed GLOBAL", at);
        }
        return new String(data, start, pos++ - start, StandardCharsets.US_ASCII);
    }

    private static String describe(Object o) {
        if (o == null || o == NONE) {
            return "None";
        }
        if (o == MARK) {
            return "a MARK";
        }
        if (o instanceof Global g) {
            return g.toString();
        }
        if (o instanceof Map<?, ?>) {
            return "a dict";
        }
        if (o instanceof Tuple) {
            return "a tuple";
        }
        return "a " + o.getClass().getSimpleName();
    }

    private CheckpointException error(String what, int at) {
        return new CheckpointException(source + ": malformed pickle at byte " + at + ": " + what);
    }
}
