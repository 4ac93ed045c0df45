// Runs a forward pass's plan (PassPlan) on the CPU: the kernels' own CUDA C, compiled by g++ against
// cuda_emulation.h, and cuBLAS's cublasGemmEx and cublasGemmStridedBatchedEx by their documented column-major
// definitions. What it checks as it goes:
// every pointer argument and every product operand lies inside one allocation; every allocation ends at an
// inaccessible page, so a kernel that reads or writes past its end stops the run naming the step; a shuffle or
// barrier that some lanes never reach is reported, not hung.
//
//   emulator JOB OUT [SEED]   reads the job (Emulator.java writes it), writes the requested outputs to OUT. With a
//                             SEED other than 0 the threads of a block are resumed in a shuffled order each round
//                             (the order a GPU keeps is no promise), so a kernel whose result depends on it differs.
//
// x86-64 Linux only (the fibers switch stacks in assembly). Exit status 0, or 3 with a message on stderr.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cuda_emulation.h"
#include "kernels.inc"  // generated: includes the kernel sources and defines EMU_KERNELS(X), one X(name) a kernel

EmuDim threadIdx, blockIdx, blockDim, gridDim;

namespace emu {

static std::string step_label = "reading the job";

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "emulator: %s: %s\n", step_label.c_str(), what);
    std::fflush(stderr);
    _exit(3);
}

[[noreturn]] static void fail(const std::string& what) {
    fail(what.c_str());
}

// ---- Device memory: each allocation in its own mapping, ending at a page that faults when touched. ----

struct Allocation {
    uint64_t address;
    uint64_t bytes;
    char* host;
};

static std::map<uint64_t, Allocation> allocations;
static const long page = sysconf(_SC_PAGESIZE);

// `bytes` of host memory (filled with a NaN pattern) in a mapping of their own that ends where they do, at a page that
// faults when touched: the mapping's start and size (for munmap) and the first byte.
struct Guarded {
    void* mapping;
    size_t mapped;
    char* host;
};

static Guarded map_guarded(uint64_t bytes, const std::string& what) {
    uint64_t span = (bytes + page - 1) / page * page;
    void* base = mmap(nullptr, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED || mprotect((char*) base + span, page, PROT_NONE) != 0) {
        fail("out of host memory for " + what);
    }
    std::memset(base, 0xFF, span);
    return Guarded{base, span + page, (char*) base + span - bytes};
}

static void allocate(uint64_t address, uint64_t bytes) {
    if (bytes == 0) {
        fail("an allocation of 0 bytes at " + std::to_string(address));
    }
    auto next = allocations.lower_bound(address);
    if ((next != allocations.end() && next->first < address + bytes) ||
        (next != allocations.begin() && std::prev(next)->second.address + std::prev(next)->second.bytes > address)) {
        fail("allocations overlap at " + std::to_string(address));
    }
    // Fresh device memory is not zero: the NaN pattern shows a read of something never written.
    allocations[address] = Allocation{address, bytes,
                                      map_guarded(bytes, "an allocation of " + std::to_string(bytes) + " bytes").host};
}

// The allocation holding device address `address`, or a failure naming `what`.
static const Allocation& holding(uint64_t address, const std::string& what) {
    auto it = allocations.upper_bound(address);
    if (it == allocations.begin() || address >= std::prev(it)->second.address + std::prev(it)->second.bytes) {
        fail(what + " (" + std::to_string(address) + ") is not inside any allocation");
    }
    return std::prev(it)->second;
}

// The host pointer of `bytes` bytes at device address `address`, all inside one allocation.
static char* host(uint64_t address, uint64_t bytes, const std::string& what) {
    const Allocation& a = holding(address, what);
    if (bytes > a.address + a.bytes - address) {
        fail(what + ": " + std::to_string(bytes) + " bytes at offset " + std::to_string(address - a.address) +
             " run past the end of its allocation of " + std::to_string(a.bytes) + " bytes");
    }
    return a.host + (address - a.address);
}

// The running launch's dynamic shared memory: its end (the launch's size rounded up to 16 bytes) meets a page that faults
// when touched, as a device allocation's does, so a kernel that lays out more than its launch gives stops the run.
static Guarded shared_mapping;
static float* shared_memory;
static size_t shared_bytes;

static void on_fault(int, siginfo_t* info, void*) {
    for (const auto& [address, a] : allocations) {
        char* end = a.host + a.bytes;
        if ((char*) info->si_addr >= end && (char*) info->si_addr < end + page) {
            char message[160];
            std::snprintf(message, sizeof message, "an access %ld bytes past the end of the allocation of %lu bytes at %lu",
                          (long) ((char*) info->si_addr - end), (unsigned long) a.bytes, (unsigned long) address);
            fail(message);
        }
    }
    char* sharedEnd = (char*) shared_memory + shared_bytes;
    if (shared_memory != nullptr && (char*) info->si_addr >= sharedEnd && (char*) info->si_addr < sharedEnd + page) {
        char message[160];
        std::snprintf(message, sizeof message, "an access %ld bytes past the end of the launch's %lu bytes of shared memory",
                      (long) ((char*) info->si_addr - sharedEnd), (unsigned long) shared_bytes);
        fail(message);
    }
    fail("a memory fault outside every allocation's guard page");
}

// ---- Fibers: one per thread of the running block. ----

extern "C" void emu_switch(void** save, void* next);
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores the stack pointer in
// *save, and resumes the context whose stack pointer is `next`.
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");

static const size_t fiber_stack = 256 * 1024;
static const int max_block = 1024;

// An asynchronous copy a thread has issued and not yet waited for: `bytes` from `from` (nullptr: zeros) to `to`.
struct PendingCopy {
    void* to;
    const void* from;
    size_t bytes;
};

struct Fiber {
    void* sp;
    char* stack;
    bool done;
    std::vector<PendingCopy> copies;
};

// A barrier's state: threads still running, threads waiting at it, and releases so far.
struct Group {
    int live;
    int waiting;
    uint64_t releases;
};

static Fiber fibers[max_block];
static void* scheduler_sp;
static int current;
static int block_threads;
static Group warps[max_block / 32];
static Group block;
static uint32_t lanes_live[max_block / 32];
static uint32_t exchange[max_block / 32][32];
static uint32_t fragments[max_block / 32][32][16];
static uint64_t progress;
static std::function<void()> body;
static uint64_t schedule_seed;

static void yield() {
    emu_switch(&fibers[current].sp, scheduler_sp);
}

static void release(Group& g) {
    g.waiting = 0;
    g.releases++;
    progress++;
}

static void wait(Group& g) {
    uint64_t seen = g.releases;
    progress++;
    if (++g.waiting == g.live) {
        release(g);
        return;
    }
    while (g.releases == seen) {
        yield();
    }
}

static void leave(Group& g) {
    g.live--;
    if (g.waiting > 0 && g.waiting == g.live) {
        release(g);
    }
}

static void check_full_warp(unsigned int mask, const char* what) {
    int w = current / 32;
    uint32_t present = lanes_live[w];
    if (mask != 0xffffffffu) {
        fail(std::string(what) + " with a partial mask is not emulated");
    }
    if (present != 0xffffffffu) {
        fail(std::string(what) + " with a full mask in a warp some of whose lanes have exited or do not exist");
    }
}

void sync_warp(unsigned int mask) {
    check_full_warp(mask, "__syncwarp");
    wait(warps[current / 32]);
}

void sync_block() {
    wait(block);
}

uint32_t shuffle(unsigned int mask, uint32_t bits, int from) {
    check_full_warp(mask, "a shuffle");
    int w = current / 32;
    exchange[w][current % 32] = bits;
    wait(warps[w]);
    uint32_t value = exchange[w][from];
    wait(warps[w]);
    return value;
}

void gather(const uint32_t* mine, int words, uint32_t (*all)[16]) {
    check_full_warp(0xffffffffu, "a tensor-core product");
    if (words > 16) {
        fail("a tensor-core product's fragments of more than 16 words");
    }
    int w = current / 32;
    std::memcpy(fragments[w][current % 32], mine, words * sizeof(uint32_t));
    wait(warps[w]);
    std::memcpy(all, fragments[w], sizeof fragments[w]);
    wait(warps[w]);
}

float* dynamic_shared() {
    return shared_memory;
}

void copy_async(void* to, const void* from, size_t bytes) {
    fibers[current].copies.push_back(PendingCopy{to, from, bytes});
}

void copy_async_wait() {
    for (const PendingCopy& c : fibers[current].copies) {
        if (c.from != nullptr) {
            std::memcpy(c.to, c.from, c.bytes);
        } else {
            std::memset(c.to, 0, c.bytes);
        }
    }
    fibers[current].copies.clear();
}

[[noreturn]] static void fiber_entry() {
    body();
    if (!fibers[current].copies.empty()) {
        fail("a thread ended with asynchronous copies it never waited for");
    }
    int w = current / 32;
    fibers[current].done = true;
    lanes_live[w] &= ~(1u << (current % 32));
    progress++;
    leave(warps[w]);
    leave(block);
    emu_switch(&fibers[current].sp, scheduler_sp);
    fail("a finished thread was resumed");
}

static void start_fiber(int t) {
    Fiber& f = fibers[t];
    if (f.stack == nullptr) {
        f.stack = (char*) std::aligned_alloc(64, fiber_stack);
    }
    void** sp = (void**) (f.stack + fiber_stack);
    *--sp = nullptr;                 // where fiber_entry would return: it never does
    *--sp = (void*) &fiber_entry;    // emu_switch's ret lands here
    for (int r = 0; r < 6; r++) {
        *--sp = nullptr;             // rbp, rbx, r12..r15
    }
    --sp;
    uint32_t* control = (uint32_t*) sp;
    control[0] = 0x1F80;             // MXCSR at reset: all exceptions masked, round to nearest
    control[1] = 0x037F;             // x87 control word at reset
    f.sp = sp;
    f.done = false;
    f.copies.clear();
}

static void map_shared(unsigned int shared) {
    if (shared_mapping.mapping != nullptr) {
        munmap(shared_mapping.mapping, shared_mapping.mapped);
    }
    shared_bytes = (shared + 15u) / 16u * 16u;
    shared_mapping = map_guarded(shared_bytes, std::to_string(shared) + " bytes of shared memory");
    shared_memory = (float*) shared_mapping.host;
}

// Runs every thread of every block of a 1-D launch with `shared` bytes of dynamic shared memory a block.
static void launch(unsigned int grid, unsigned int threads, unsigned int shared, const std::function<void()>& kernel) {
    if (grid == 0 || threads == 0 || threads > (unsigned) max_block) {
        fail("a launch of " + std::to_string(grid) + " x " + std::to_string(threads) + " threads");
    }
    map_shared(shared);
    body = kernel;
    gridDim = EmuDim{grid, 1, 1};
    blockDim = EmuDim{threads, 1, 1};
    block_threads = (int) threads;
    for (unsigned int b = 0; b < grid; b++) {
        blockIdx = EmuDim{b, 0, 0};
        // Shared memory is not zero when a block starts: a NaN pattern shows a read of something never written.
        std::memset(shared_memory, 0xFF, shared_bytes);
        block = Group{(int) threads, 0, 0};
        for (int w = 0; w * 32 < block_threads; w++) {
            int lanes = std::min(32, block_threads - w * 32);
            warps[w] = Group{lanes, 0, 0};
            lanes_live[w] = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1);
        }
        for (int t = 0; t < block_threads; t++) {
            start_fiber(t);
        }
        int order[max_block];
        for (int t = 0; t < block_threads; t++) {
            order[t] = t;
        }
        for (int remaining = block_threads; remaining > 0;) {
            uint64_t before = progress;
            remaining = 0;
            if (schedule_seed != 0) {
                for (int i = block_threads - 1; i > 0; i--) {
                    schedule_seed = schedule_seed * 6364136223846793005ULL + 1442695040888963407ULL;
                    std::swap(order[i], order[(schedule_seed >> 33) % (uint64_t) (i + 1)]);
                }
            }
            for (int i = 0; i < block_threads; i++) {
                int t = order[i];
                if (!fibers[t].done) {
                    current = t;
                    threadIdx = EmuDim{(unsigned) t, 0, 0};
                    emu_switch(&scheduler_sp, fibers[t].sp);
                    remaining += fibers[t].done ? 0 : 1;
                }
            }
            if (remaining > 0 && progress == before) {
                fail("deadlock in block " + std::to_string(b) + ": " + std::to_string(remaining) +
                     " threads wait at barriers the others never reach");
            }
        }
    }
}

// ---- Kernel arguments: a job's (kind, value) pairs converted to the kernel's parameter types. ----

struct Arg {
    char kind;
    uint64_t value;
};

template <typename T> struct Param;

template <typename T> struct Param<T*> {
    static T* of(const Arg& a, int i) {
        if (a.kind != 'p') {
            fail("argument " + std::to_string(i) + " should be a pointer, the job gives kind " + a.kind);
        }
        return (T*) host(a.value, 1, "pointer argument " + std::to_string(i));
    }
};

template <> struct Param<int> {
    static int of(const Arg& a, int i) {
        if (a.kind != 'i') {
            fail("argument " + std::to_string(i) + " should be an int, the job gives kind " + a.kind);
        }
        return (int) (uint32_t) a.value;
    }
};

template <> struct Param<float> {
    static float of(const Arg& a, int i) {
        if (a.kind != 'f') {
            fail("argument " + std::to_string(i) + " should be a float, the job gives kind " + a.kind);
        }
        return __uint_as_float((uint32_t) a.value);
    }
};

using Launcher = std::function<void(unsigned int grid, unsigned int block, unsigned int shared, const std::vector<Arg>&)>;

template <typename... P, size_t... I>
static std::tuple<P...> convert(const std::vector<Arg>& args, std::index_sequence<I...>) {
    return std::tuple<P...>(Param<P>::of(args[I], (int) I)...);
}

template <typename... P> static Launcher launcher(void (*kernel)(P...)) {
    return [kernel](unsigned int grid, unsigned int threads, unsigned int shared, const std::vector<Arg>& args) {
        if (args.size() != sizeof...(P)) {
            fail("the kernel takes " + std::to_string(sizeof...(P)) + " arguments, the job gives " +
                 std::to_string(args.size()));
        }
        std::tuple<P...> values = convert<P...>(args, std::index_sequence_for<P...>{});
        launch(grid, threads, shared, [&] { std::apply(kernel, values); });
    };
}

static const std::map<std::string, Launcher>& kernels() {
#define EMU_ENTRY(name) {#name, launcher(&name)},
    static const std::map<std::string, Launcher> table = {EMU_KERNELS(EMU_ENTRY)};
#undef EMU_ENTRY
    return table;
}

// ---- cublasGemmEx: C (m x n, ldc) = op(A) (m x k) . op(B) (k x n), column-major, alpha 1, beta 0, C float32 or
// (bf16_out) bfloat16, rounded to nearest even. ----

struct Gemm {
    bool trans_a, trans_b, bf16, tf32, bf16_out;
    int m, n, k, lda, ldb, ldc;
    uint64_t a, b, c;
};

static float bf16_value(uint16_t bits) {
    return __uint_as_float((uint32_t) bits << 16);
}

// TF32 keeps 10 of float32's 23 mantissa bits; tensor cores round the inputs to nearest.
static float tf32_value(float v) {
    uint32_t u = __float_as_uint(v);
    u += 0xFFFu + ((u >> 13) & 1u);
    return __uint_as_float(u & ~0x1FFFu);
}

// Element (row, col) of a column-major operand read as `rows x cols` through op(): fills out[row * cols + col].
static std::vector<float> operand(uint64_t address, bool trans, int rows, int cols, int ld, const Gemm& g,
                                  const char* name) {
    size_t element = g.bf16 ? 2 : 4;
    int stored_rows = trans ? cols : rows;
    int stored_cols = trans ? rows : cols;
    if (ld < stored_rows) {
        fail(std::string(name) + ": leading dimension " + std::to_string(ld) + " below " + std::to_string(stored_rows));
    }
    uint64_t extent = (uint64_t) (stored_cols - 1) * ld + stored_rows;
    const char* base = host(address, extent * element, std::string("operand ") + name);
    std::vector<float> out((size_t) rows * cols);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            uint64_t at = trans ? (uint64_t) r * ld + c : (uint64_t) c * ld + r;
            float v;
            if (g.bf16) {
                uint16_t bits;
                std::memcpy(&bits, base + at * 2, 2);
                v = bf16_value(bits);
            } else {
                std::memcpy(&v, base + at * 4, 4);
            }
            out[(size_t) r * cols + c] = g.tf32 ? tf32_value(v) : v;
        }
    }
    return out;
}

static void gemm(const Gemm& g) {
    if (g.m <= 0 || g.n <= 0 || g.k <= 0) {
        fail("a product of " + std::to_string(g.m) + " x " + std::to_string(g.n) + " x " + std::to_string(g.k));
    }
    std::vector<float> a = operand(g.a, g.trans_a, g.m, g.k, g.lda, g, "A");       // m x k
    std::vector<float> bt = operand(g.b, !g.trans_b, g.n, g.k, g.ldb, g, "B");     // op(B)^T: n x k
    if (g.ldc < g.m) {
        fail("C: leading dimension " + std::to_string(g.ldc) + " below " + std::to_string(g.m));
    }
    size_t c_element = g.bf16_out ? 2 : 4;
    char* c = host(g.c, ((uint64_t) (g.n - 1) * g.ldc + g.m) * c_element, "operand C");
    for (int j = 0; j < g.n; j++) {
        const float* bj = &bt[(size_t) j * g.k];
        for (int i = 0; i < g.m; i++) {
            const float* ai = &a[(size_t) i * g.k];
            double sum = 0;
            for (int l = 0; l < g.k; l++) {
                sum += (double) ai[l] * bj[l];
            }
            size_t at = (size_t) j * g.ldc + i;
            if (g.bf16_out) {
                uint16_t bits = bf16_bits((float) sum);
                std::memcpy(c + at * 2, &bits, 2);
            } else {
                float v = (float) sum;
                std::memcpy(c + at * 4, &v, 4);
            }
        }
    }
}

// cublasGemmStridedBatchedEx: `count` products as gemm's, the i-th with its operands i strides (elements) further on.
static void gemm_batched(const Gemm& g, uint64_t stride_a, uint64_t stride_b, uint64_t stride_c, int count) {
    if (count <= 0) {
        fail("a batch of " + std::to_string(count) + " products");
    }
    size_t element = g.bf16 ? 2 : 4;
    for (int i = 0; i < count; i++) {
        Gemm one = g;
        one.a += i * stride_a * element;
        one.b += i * stride_b * element;
        one.c += i * stride_c * 4;
        gemm(one);
    }
}

// ---- The job file (little-endian), as Emulator.java writes it. ----

struct Reader {
    FILE* in;

    void bytes(void* to, size_t n) {
        if (std::fread(to, 1, n, in) != n) {
            fail("the job file ends early");
        }
    }

    template <typename T> T next() {
        T v;
        bytes(&v, sizeof v);
        return v;
    }
};

static int run(const char* job_path, const char* out_path) {
    FILE* in = std::fopen(job_path, "rb");
    if (in == nullptr) {
        fail(std::string("cannot open ") + job_path);
    }
    Reader r{in};
    char magic[8];
    r.bytes(magic, 8);
    if (std::memcmp(magic, "MMREMU01", 8) != 0) {
        fail("not an emulator job (magic)");
    }
    uint32_t count = r.next<uint32_t>();
    for (uint32_t i = 0; i < count; i++) {
        uint64_t address = r.next<uint64_t>();
        uint64_t bytes = r.next<uint64_t>();
        uint8_t filled = r.next<uint8_t>();
        allocate(address, bytes);
        if (filled) {
            r.bytes(host(address, bytes, "an allocation"), bytes);
        }
    }
    uint32_t steps = r.next<uint32_t>();
    for (uint32_t s = 0; s < steps; s++) {
        char kind = r.next<char>();
        if (kind == 'L') {
            uint16_t length = r.next<uint16_t>();
            std::string name(length, '\0');
            r.bytes(name.data(), length);
            uint32_t grid = r.next<uint32_t>();
            uint32_t threads = r.next<uint32_t>();
            uint32_t shared = r.next<uint32_t>();
            uint32_t argc = r.next<uint32_t>();
            std::vector<Arg> args(argc);
            for (Arg& a : args) {
                a.kind = r.next<char>();
                a.value = r.next<uint64_t>();
            }
            step_label = "step " + std::to_string(s) + ", kernel " + name;
            auto k = kernels().find(name);
            if (k == kernels().end()) {
                fail("no such kernel");
            }
            k->second(grid, threads, shared, args);
        } else if (kind == 'G' || kind == 'B') {
            Gemm g;
            g.trans_a = r.next<uint8_t>();
            g.trans_b = r.next<uint8_t>();
            g.bf16 = r.next<uint8_t>();
            g.tf32 = r.next<uint8_t>();
            g.bf16_out = r.next<uint8_t>();
            g.m = r.next<int32_t>();
            g.n = r.next<int32_t>();
            g.k = r.next<int32_t>();
            g.lda = r.next<int32_t>();
            g.ldb = r.next<int32_t>();
            g.ldc = r.next<int32_t>();
            g.a = r.next<uint64_t>();
            g.b = r.next<uint64_t>();
            g.c = r.next<uint64_t>();
            step_label = "step " + std::to_string(s) + ", product " + std::to_string(g.m) + "x" + std::to_string(g.n) +
                         "x" + std::to_string(g.k);
            if (kind == 'G') {
                gemm(g);
            } else {
                uint64_t stride_a = r.next<uint64_t>();
                uint64_t stride_b = r.next<uint64_t>();
                uint64_t stride_c = r.next<uint64_t>();
                int count = r.next<int32_t>();
                step_label += ", batch of " + std::to_string(count);
                gemm_batched(g, stride_a, stride_b, stride_c, count);
            }
        } else {
            fail(std::string("unknown step kind ") + kind);
        }
    }
    step_label = "writing the outputs";
    FILE* out = std::fopen(out_path, "wb");
    if (out == nullptr) {
        fail(std::string("cannot write ") + out_path);
    }
    uint32_t outputs = r.next<uint32_t>();
    for (uint32_t i = 0; i < outputs; i++) {
        uint64_t address = r.next<uint64_t>();
        uint64_t bytes = r.next<uint64_t>();
        if (std::fwrite(host(address, bytes, "an output"), 1, bytes, out) != bytes) {
            fail("short write of the outputs");
        }
    }
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 3;
}

}  // namespace emu

int main(int argc, char** argv) {
    if (argc != 3 && argc != 4) {
        std::fprintf(stderr, "usage: emulator JOB OUT [SEED]\n");
        return 2;
    }
    emu::schedule_seed = argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 0;
    static char alternate[64 * 1024];
    stack_t stack{};
    stack.ss_sp = alternate;
    stack.ss_size = sizeof alternate;
    sigaltstack(&stack, nullptr);
    struct sigaction action {};
    action.sa_sigaction = emu::on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &action, nullptr);
    sigaction(SIGBUS, &action, nullptr);
    return emu::run(argv[1], argv[2]);
}
