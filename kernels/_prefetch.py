"""Software prefetch for the compiled kernels (changes no value).

Private helpers (leading underscore, no reference twin): they only change when memory is
read, never what is computed.

``_prefetch_line(array, index)`` asks the CPU to bring the cache line holding ``array[index]`` into
all cache levels (LLVM's ``llvm.prefetch``: read access, high locality, data cache). Kernels
use it where they are about to read rows scattered in memory whose addresses are known a few
steps ahead (synapse rows of the neurons that fired, decoder rows of active neurons), so the
memory latency of several rows overlaps instead of being paid one row after the other.
"""
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

LINE_BYTES = 64  # cache line size of x86-64 and most ARM64 cores


@intrinsic
def _prefetch_line(typingctx, array, index):
    """Hint the CPU to load the cache line of ``array[index]`` (1-D array, integer index)."""
    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, value=args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(array, index), codegen


@njit(cache=True)
def _prefetch_range(array, start, stop):
    """Prefetch every cache line of ``array[start:stop]`` (1-D, C-contiguous)."""
    if stop <= start:
        return
    step = max(LINE_BYTES // array.itemsize, 1)
    for k in range(start, stop, step):
        _prefetch_line(array, k)
    _prefetch_line(array, stop - 1)
