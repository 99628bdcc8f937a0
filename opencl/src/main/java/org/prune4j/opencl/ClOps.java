package org.prune4j.opencl;

import com.aparapi.Range;
import com.aparapi.opencl.OpenCL;
import com.aparapi.opencl.OpenCL.Arg;
import com.aparapi.opencl.OpenCL.GlobalReadOnly;
import com.aparapi.opencl.OpenCL.GlobalWriteOnly;

/**
 * The OpenCL C kernels of {@code kernels.cl}, declared through Aparapi's {@link OpenCL} interface binding: each
 * method is one {@code __kernel} of the same name, its annotations give every argument's role (read-only arrays
 * are uploaded, write-only arrays read back). {@link ClProgram} implements it. Every kernel ends with {@code ran}
 * (one int the kernel sets to prove it executed on the device).
 */
@OpenCL.Resource("org/prune4j/opencl/kernels.cl")
public interface ClOps extends OpenCL<ClOps> {

    ClOps gemm(Range range, @GlobalReadOnly("a") float[] a, @GlobalReadOnly("b") float[] b, @GlobalWriteOnly("c") float[] c,
               @GlobalReadOnly("offs") int[] offs, @Arg("m") int m, @Arg("n") int n, @Arg("k") int k, @Arg("bT") int bT,
               @GlobalWriteOnly("ran") int[] ran);

    ClOps gemv(Range range, @GlobalReadOnly("a") float[] a, @GlobalReadOnly("b") float[] b, @GlobalWriteOnly("c") float[] c,
               @GlobalReadOnly("offs") int[] offs, @Arg("m") int m, @Arg("n") int n, @Arg("k") int k,
               @GlobalWriteOnly("ran") int[] ran);

    ClOps gemvN(Range range, @GlobalReadOnly("a") float[] a, @GlobalReadOnly("b") float[] b, @GlobalWriteOnly("c") float[] c,
                @GlobalReadOnly("offs") int[] offs, @Arg("m") int m, @Arg("n") int n, @Arg("k") int k,
                @GlobalWriteOnly("ran") int[] ran);

    ClOps attention(Range range, @GlobalReadOnly("q") float[] q, @GlobalReadOnly("k") float[] k, @GlobalReadOnly("v") float[] v,
                    @GlobalWriteOnly("out") float[] out, @Arg("B") int b, @Arg("T") int t, @Arg("H") int h, @Arg("D") int d,
                    @Arg("S") int s, @Arg("Hkv") int hkv, @Arg("scale") float scale, @Arg("causal") int causal,
                    @GlobalWriteOnly("ran") int[] ran);

    ClOps softmax(Range range, @GlobalReadOnly("x") float[] x, @GlobalWriteOnly("y") float[] y, @Arg("rows") int rows,
                  @Arg("cols") int cols, @Arg("logMode") int logMode, @GlobalWriteOnly("ran") int[] ran);

    ClOps rmsNorm(Range range, @GlobalReadOnly("x") float[] x, @GlobalReadOnly("w") float[] w, @GlobalWriteOnly("y") float[] y,
                  @Arg("rows") int rows, @Arg("cols") int cols, @Arg("hasW") int hasW, @Arg("eps") float eps,
                  @GlobalWriteOnly("ran") int[] ran);

    ClOps layerNorm(Range range, @GlobalReadOnly("x") float[] x, @GlobalReadOnly("w") float[] w, @GlobalReadOnly("bias") float[] bias,
                    @GlobalWriteOnly("y") float[] y, @Arg("rows") int rows, @Arg("cols") int cols, @Arg("hasW") int hasW,
                    @Arg("hasB") int hasB, @Arg("eps") float eps, @GlobalWriteOnly("ran") int[] ran);

    ClOps reduceRows(Range range, @GlobalReadOnly("x") float[] x, @GlobalWriteOnly("y") float[] y, @Arg("rows") int rows,
                     @Arg("cols") int cols, @Arg("op") int op, @GlobalWriteOnly("ran") int[] ran);

    ClOps rope(Range range, @GlobalReadOnly("x") float[] x, @GlobalReadOnly("cosT") float[] cos, @GlobalReadOnly("sinT") float[] sin,
               @GlobalWriteOnly("y") float[] y, @Arg("rows") int rows, @Arg("T") int t, @Arg("H") int h, @Arg("D") int d,
               @Arg("interleaved") int interleaved, @GlobalWriteOnly("ran") int[] ran);

    ClOps swiglu(Range range, @GlobalReadOnly("g") float[] gate, @GlobalReadOnly("u") float[] up, @GlobalWriteOnly("y") float[] y,
                 @Arg("n") int n, @GlobalWriteOnly("ran") int[] ran);

    ClOps unary(Range range, @GlobalReadOnly("x") float[] x, @GlobalWriteOnly("y") float[] y, @Arg("n") int n, @Arg("op") int op,
                @GlobalWriteOnly("ran") int[] ran);

    ClOps scalarOp(Range range, @GlobalReadOnly("x") float[] x, @GlobalWriteOnly("y") float[] y, @Arg("n") int n, @Arg("op") int op,
                   @Arg("s") float s, @GlobalWriteOnly("ran") int[] ran);

    ClOps binary(Range range, @GlobalReadOnly("a") float[] a, @GlobalReadOnly("b") float[] b, @GlobalWriteOnly("y") float[] y,
                 @GlobalReadOnly("meta") int[] meta, @Arg("n") int n, @Arg("op") int op, @GlobalWriteOnly("ran") int[] ran);

    ClOps where3(Range range, @GlobalReadOnly("cond") float[] cond, @GlobalReadOnly("a") float[] a, @GlobalReadOnly("b") float[] b,
                 @GlobalWriteOnly("y") float[] y, @GlobalReadOnly("meta") int[] meta, @Arg("n") int n,
                 @GlobalWriteOnly("ran") int[] ran);
}
