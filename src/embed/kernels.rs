//! CPU kernels for MiniLM inference over packed token rows (no padding): the dense
//! layer, multi-head attention within each sequence, residual + LayerNorm, and GELU.
//!
//! Only the matrix products differ by target, and the dense layer is where the time
//! goes (Chromium, handbook chunks of ≈ 160 tokens, relaxed build: dense 68 %,
//! attention's products 9 %, its softmax 7 %, GELU 3 %, the rest ≈ 2 % each or less):
//! - natively it is candle's matmul (gemm: AVX kernels, all cores), which is what
//!   bundle builds on big batches want;
//! - in the browser it is a register-blocked SIMD128 kernel written for what queries
//!   look like — a handful of token rows against a weight matrix read once — where
//!   candle's general matmul spends more time packing than multiplying (measured in
//!   Node, 10 token rows, weights in cache: 6 layers of dense 8.6 ms with candle, 4.5 ms
//!   here); with int8 weights it runs integer dot products instead: 16-bit
//!   (`i32x4.dot_i16x8_s`) in the SIMD128 build; in the relaxed-SIMD build, which the
//!   page loads where the engine has relaxed SIMD (Chromium, Firefox; `src/js/loader.js`),
//!   either those or 8-bit ones (`i32x4.relaxed_dot_i8x16_i7x16_add_s`, `vpdpbusd` on CPUs
//!   with VNNI), whichever timing at load finds faster on the CPU (`faster`). The two
//!   builds are one source: the 8-bit kernel is the `split` module, compiled when the
//!   `relaxed-simd` target feature is on (`pkg-scripts/build.sh` turns it on for
//!   benefind alone).
//!
//! Everything else is plain element-wise Rust, written as loops the compiler vectorises.
//! Float reductions (softmax's maximum and sum, LayerNorm's mean and variance) keep
//! [`LANES`] partial results: in one accumulator they are chains of dependent scalar
//! operations, which the compiler may not reorder. Attention's products are [`matmul`]
//! (f32, register-blocked SIMD128 in the browser). The relaxed build fuses multiply-adds
//! (`f32x4.relaxed_madd`) in those products, in softmax's exponentials and in GELU's erf
//! (`fused`; exp and erf are written once over [`Arith`], so the native tests check
//! both roundings).

use candle_core::Tensor;

use super::quant::Int8Matrix;
use crate::error::Result;

pub(crate) use dense_impl::{dense, int8_kernel, matmul, DenseWeight};

/// The clock [`set_clock`] installed, if any.
static CLOCK: std::sync::OnceLock<fn() -> f64> = std::sync::OnceLock::new();

/// Installs a monotonic clock in milliseconds (the wasm facade gives `performance.now`),
/// which the relaxed-SIMD build uses once to time its two int8 kernels against each
/// other; the first clock installed stays. Nothing else reads it.
pub fn set_clock(now_ms: fn() -> f64) {
    let _ = CLOCK.set(now_ms);
}

#[cfg_attr(not(target_feature = "relaxed-simd"), allow(dead_code))]
fn clock() -> Option<fn() -> f64> {
    CLOCK.get().copied()
}

/// A weight matrix as loaded: f32 (a candle tensor) or row-quantized int8.
pub(crate) enum Matrix {
    F32(Tensor),
    Int8(Int8Matrix),
}

impl Matrix {
    /// Row `r` as f32, into `out`.
    pub(crate) fn row_into(&self, r: usize, out: &mut [f32]) -> Result<()> {
        match self {
            Matrix::F32(t) => with_f32(t, |w| {
                let cols = out.len();
                out.copy_from_slice(&w[r * cols..(r + 1) * cols]);
            }),
            Matrix::Int8(m) => {
                m.row_into(r, out);
                Ok(())
            }
        }
    }

    /// Stacks matrices of equal width row-wise (all f32 or all int8).
    pub(crate) fn stack(parts: Vec<Matrix>) -> Result<Matrix> {
        if parts.iter().all(|p| matches!(p, Matrix::Int8(_))) {
            let ints: Vec<&Int8Matrix> = parts
                .iter()
                .filter_map(|p| match p {
                    Matrix::Int8(m) => Some(m),
                    Matrix::F32(_) => None,
                })
                .collect();
            return Ok(Matrix::Int8(Int8Matrix::stack(&ints)));
        }
        let tensors = parts
            .into_iter()
            .map(|p| match p {
                Matrix::F32(t) => Ok(t),
                Matrix::Int8(m) => Ok(Tensor::from_vec(
                    m.dequantize(),
                    (m.rows, m.cols),
                    &candle_core::Device::Cpu,
                )?),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Matrix::F32(Tensor::cat(&tensors, 0)?))
    }
}

/// Calls `f` with the f32 contents of a contiguous CPU tensor (candle owns the memory).
pub(crate) fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    let candle_core::Storage::Cpu(cpu) = &*storage else {
        return Err(candle_core::Error::Msg("MiniLM weights must live on the CPU".into()).into());
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        return Err(candle_core::Error::Msg("MiniLM weights must be contiguous".into()).into());
    };
    Ok(f(&cpu.as_slice::<f32>()?[start..end]))
}

#[cfg(not(target_arch = "wasm32"))]
mod dense_impl {
    use candle_core::{Device, Tensor};

    use super::Matrix;
    use crate::error::Result;

    /// A dense layer's weight, `n × k` (PyTorch's Linear layout), as candle's matmul
    /// wants it: f32 (int8 files are dequantized once, at load).
    pub(crate) struct DenseWeight(Tensor);

    impl DenseWeight {
        pub(crate) fn new(m: Matrix) -> Result<Self> {
            Ok(Self(match m {
                Matrix::F32(t) => t,
                Matrix::Int8(q) => {
                    Tensor::from_vec(q.dequantize(), (q.rows, q.cols), &Device::Cpu)?
                }
            }))
        }

        pub(crate) fn inputs(&self) -> Result<usize> {
            Ok(self.0.dim(1)?)
        }
    }

    /// Natively int8 weights run as f32 (dequantized at load).
    pub(crate) fn int8_kernel() -> &'static str {
        "f32"
    }

    /// `a · b` for `a` of `m × k` and `b` of `k × n`, as `m × n` (attention's
    /// products): [`super::matmul_scalar`], which the compiler vectorises.
    pub(crate) fn matmul(a: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
        super::matmul_scalar(a, b, k, n)
    }

    /// `out[m·n + j] = x[m]·w[j] + b[j]` for `x` of `rows × k`: candle's matmul
    /// against the transposed weight.
    pub(crate) fn dense(x: &[f32], w: &DenseWeight, b: &[f32]) -> Result<Vec<f32>> {
        let k = w.inputs()?;
        let x = Tensor::from_slice(x, (x.len() / k, k), &Device::Cpu)?;
        let y = x.matmul(&w.0.t()?)?;
        let mut out = y.flatten_all()?.to_vec1::<f32>()?;
        for row in out.chunks_exact_mut(b.len()) {
            for (o, b) in row.iter_mut().zip(b) {
                *o += b;
            }
        }
        Ok(out)
    }
}

#[cfg(target_arch = "wasm32")]
mod dense_impl {
    use super::{with_f32, Int8Matrix, Matrix};
    use crate::error::Result;

    /// A dense layer's weight, `n × k`, kept as loaded: f32, or int8 (a quarter of
    /// the bytes to stream per question, and integer dot products; see [`dense`]).
    pub(crate) struct DenseWeight {
        m: Matrix,
        /// With relaxed SIMD, `8192 · Σw` of each int8 row (the split inputs' offset,
        /// taken back out of each sum; |·| ≤ 8192 · 1536 · 127 < 2³¹); empty otherwise.
        offsets: Vec<i32>,
    }

    impl DenseWeight {
        pub(crate) fn new(m: Matrix) -> Result<Self> {
            let offsets = match &m {
                Matrix::Int8(q) if cfg!(target_feature = "relaxed-simd") => {
                    q.q.chunks_exact(q.cols)
                        .map(|row| 8192 * row.iter().map(|&v| i32::from(v)).sum::<i32>())
                        .collect()
                }
                _ => Vec::new(),
            };
            #[cfg(target_feature = "relaxed-simd")]
            if let Matrix::Int8(q) = &m {
                faster::choose(q, &offsets);
            }
            Ok(Self { m, offsets })
        }
    }

    /// `out[m·n + j] = x[m]·w[j] + b[j]` for `x` of `rows × k`.
    ///
    /// With int8 weights the input rows are quantized too, to 14-bit integers with one
    /// scale per row (relative error ≤ 6·10⁻⁵ of the row's largest value, far below the
    /// weights' 8 bits), and the products run as 16-bit integer dot products: twice the
    /// multiply-adds per instruction of f32, exact 32-bit sums. The relaxed-SIMD build
    /// may run 8-bit dot products on the same integers instead (`split`).
    pub(crate) fn dense(x: &[f32], w: &DenseWeight, b: &[f32]) -> Result<Vec<f32>> {
        match &w.m {
            Matrix::F32(t) => {
                let k = t.dim(1)?;
                let row = |i: usize| &x[i * k..(i + 1) * k];
                with_f32(t, |w| {
                    let weight = |j: usize| &w[j * k..(j + 1) * k];
                    drive(x.len() / k, b, |i, j, j1| {
                        micro::dot_f32(
                            [row(i[0]), row(i[1]), row(i[2]), row(i[3])],
                            weight(j),
                            weight(j1),
                        )
                    })
                })
            }
            Matrix::Int8(m) => Ok(int8(x, m, &w.offsets, b)),
        }
    }

    /// `a · b` for `a` of `m × k` and `b` of `k × n`, as `m × n` (attention's
    /// products, where `k` is 32 or a sequence length): each output row a sum of `b`'s
    /// rows scaled, two rows by sixteen columns at a time in registers (no horizontal
    /// sums, which a dot product per output spends most of its time on at k = 32).
    pub(crate) fn matmul(a: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
        micro::matmul(a, b, k, n)
    }

    /// Int8 weights on 16-bit dot products, `i32x4.dot_i16x8_s`: each input row quantized
    /// to `|q| ≤ INPUT_MAX` with its own scale ([`row_scale`]), int8 weights sign-extended
    /// as they load, exact integer sums.
    fn wide(x: &[f32], m: &Int8Matrix, b: &[f32]) -> Vec<f32> {
        let k = m.cols;
        let (xq, xs) = quantize_rows(x, k);
        let row = |i: usize| &xq[i * k..(i + 1) * k];
        let weight = |j: usize| &m.q[j * k..(j + 1) * k];
        drive(x.len() / k, b, |i, j, j1| {
            let sums = micro::dot_int(
                [row(i[0]), row(i[1]), row(i[2]), row(i[3])],
                weight(j),
                weight(j1),
            );
            rescale(sums, i.map(|r| xs[r]), m.scale[j], m.scale[j1])
        })
    }

    /// Integer sums back to f32: `sum · s_row · s_weight`, in f32 (the sum's conversion
    /// and two products, each rounded once), the same for both int8 kernels.
    #[inline(always)]
    fn rescale(sums: [[i32; 2]; 4], rows: [f32; 4], sj: f32, sj1: f32) -> [[f32; 2]; 4] {
        core::array::from_fn(|r| {
            [
                sums[r][0] as f32 * rows[r] * sj,
                sums[r][1] as f32 * rows[r] * sj1,
            ]
        })
    }

    /// Int8 weights where relaxed SIMD is missing: [`wide`].
    #[cfg(not(target_feature = "relaxed-simd"))]
    fn int8(x: &[f32], m: &Int8Matrix, _offsets: &[i32], b: &[f32]) -> Vec<f32> {
        wide(x, m, b)
    }

    /// Int8 weights in the relaxed build: whichever of the two kernels [`faster`] measured
    /// as faster on this CPU. Both quantize inputs to the same 14-bit integers and sum
    /// them exactly, so they return the same bits.
    #[cfg(target_feature = "relaxed-simd")]
    fn int8(x: &[f32], m: &Int8Matrix, offsets: &[i32], b: &[f32]) -> Vec<f32> {
        match faster::kernel() {
            faster::Kernel::Split => split::dense(x, m, offsets, b),
            faster::Kernel::Wide => wide(x, m, b),
        }
    }

    /// Which int8 kernel runs: "i8-relaxed-dot" (`i32x4.relaxed_dot_i8x16_i7x16_add_s`),
    /// "i16-dot" (`i32x4.dot_i16x8_s`) or "scalar" (the `--no-simd` build).
    pub(crate) fn int8_kernel() -> &'static str {
        #[cfg(target_feature = "relaxed-simd")]
        if faster::kernel() == faster::Kernel::Split {
            return "i8-relaxed-dot";
        }
        if cfg!(target_feature = "simd128") {
            "i16-dot"
        } else {
            "scalar"
        }
    }

    /// The relaxed build's choice between its two int8 kernels, measured once per module
    /// instance on the first int8 weight loaded.
    ///
    /// The 8-bit relaxed dot product is one instruction (`vpdpbusd`) on x86 CPUs with
    /// AVX-VNNI and on ARM with its dot-product extension: there the split kernel takes
    /// 0.78× the 16-bit kernel's time per question. Without them engines emulate it
    /// with two multiplies and an add, and the split kernel's two dot products per input
    /// make it the slower one: on a 2-core AMD EPYC without VNNI, in headless Chromium,
    /// 15–21 ms per question against 8–12 ms, and 5.0–5.7 ingest chunks/s against
    /// 6.8–9.0. Nothing in wasm or JS tells which CPU runs the page, so the kernels are
    /// timed on the clock the wasm facade sets ([`super::super::set_clock`]):
    /// alternately, four times each, for at least [`WINDOW_MS`] each, on 16 synthetic
    /// rows against the weight at hand, and each kernel's fastest window compared (about
    /// 70 ms at model load; two windows each, summed, picked the split kernel in 4 of 5
    /// loads made while another instance was compiling, on a CPU where it embeds 1.44×
    /// slower). Without a clock the
    /// split kernel runs. The choice changes speed only: both kernels compute the same
    /// bits.
    #[cfg(target_feature = "relaxed-simd")]
    mod faster {
        use std::sync::OnceLock;

        use super::Int8Matrix;

        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(super) enum Kernel {
            /// 8-bit relaxed dot products on split 14-bit inputs (`split`).
            Split,
            /// 16-bit dot products on the same 14-bit inputs (`wide`).
            Wide,
        }

        /// How long each timing of a kernel runs at least: long enough that a
        /// millisecond clock (Firefox's outside cross-origin isolation) errs by ≤ 12 %.
        const WINDOW_MS: f64 = 8.0;

        static CHOSEN: OnceLock<Kernel> = OnceLock::new();

        /// The kernel chosen; the split one until [`choose`] has run (it runs before
        /// any layer does: at the first int8 weight's load).
        pub(super) fn kernel() -> Kernel {
            CHOSEN.get().copied().unwrap_or(Kernel::Split)
        }

        /// Times both kernels on `m` (once per module instance) and keeps the faster.
        pub(super) fn choose(m: &Int8Matrix, offsets: &[i32]) {
            let Some(now) = super::super::clock() else {
                return;
            };
            CHOSEN.get_or_init(|| {
                // Deterministic inputs in [-1, 1]: the values do not change the work.
                let x: Vec<f32> = (0..16 * m.cols)
                    .map(|i| ((i * 7919 % 2003) as f32 / 1001.0) - 1.0)
                    .collect();
                let b = vec![0.0f32; m.rows];
                // Runs per millisecond of one kernel over one window.
                let rate = |kernel: Kernel| {
                    let start = now();
                    let mut runs = 0u32;
                    loop {
                        let out = match kernel {
                            Kernel::Split => super::split::dense(&x, m, offsets, &b),
                            Kernel::Wide => super::wide(&x, m, &b),
                        };
                        std::hint::black_box(out);
                        runs += 1;
                        let ms = now() - start;
                        // A clock that stands still (or goes back) cannot time anything:
                        // stop after a bounded number of runs (about 0.1 s of them).
                        if ms >= WINDOW_MS || runs >= 200 {
                            return f64::from(runs) / ms.max(f64::MIN_POSITIVE);
                        }
                    }
                };
                // The fastest window of each: another tab or process can only slow a
                // window down, so the best one is the truest.
                let (mut split, mut wide) = (0.0f64, 0.0f64);
                for _ in 0..4 {
                    split = split.max(rate(Kernel::Split));
                    wide = wide.max(rate(Kernel::Wide));
                }
                if wide > split {
                    Kernel::Wide
                } else {
                    Kernel::Split
                }
            });
        }
    }

    /// Largest magnitude of a quantized input (14 bits): with int8 weights (|w| ≤ 127)
    /// and the widest MiniLM layer (k = 1536), a whole dot product is at most
    /// 1536 · 8191 · 127 ≈ 1.6·10⁹ < 2³¹, so the sums, and every partial sum on the way,
    /// are exact in 32 bits (the relaxed build's 8-bit split of the same integers, `split`,
    /// needs 14 bits too).
    const INPUT_MAX: f32 = 8191.0;

    /// A row's quantization scale `s` (its largest magnitude over [`INPUT_MAX`]) and
    /// `1/s`; an all-zero row gets 1. Both int8 kernels quantize with it, `round(v / s)`.
    #[inline(always)]
    fn row_scale(row: &[f32]) -> (f32, f32) {
        let max = micro::abs_max(row);
        let s = if max > 0.0 { max / INPUT_MAX } else { 1.0 };
        (s, 1.0 / s)
    }

    /// Each row of `x` (`k` wide) as `round(x / s)` in 16 bits, with its scale `s`.
    fn quantize_rows(x: &[f32], k: usize) -> (Vec<i16>, Vec<f32>) {
        assert!(k <= 1536, "input width {k} would overflow the 32-bit sums");
        let mut q = vec![0i16; x.len()];
        let mut scales = Vec::with_capacity(x.len() / k);
        for (row, out) in x.chunks_exact(k).zip(q.chunks_exact_mut(k)) {
            let (s, inv) = row_scale(row);
            micro::quantize(row, inv, out);
            scales.push(s);
        }
        (q, scales)
    }

    /// Runs `sums(rows, j, j1)` — dot products of four input rows with weight rows `j`
    /// and `j1` — over the whole output: input rows in tiles of `ROW_TILE` (they stay
    /// in cache while every weight row streams past once per tile), the weight rows in
    /// pairs (the last of an odd count pairs with itself), input rows by four (a short
    /// tail repeats its last row; only real rows are written). Adds the bias.
    #[inline(always)]
    fn drive(
        rows: usize,
        b: &[f32],
        mut sums: impl FnMut([usize; 4], usize, usize) -> [[f32; 2]; 4],
    ) -> Vec<f32> {
        const ROW_TILE: usize = 32;
        let n = b.len();
        let mut out = vec![0.0f32; rows * n];
        for tile in (0..rows).step_by(ROW_TILE) {
            let end = (tile + ROW_TILE).min(rows);
            for j in (0..n).step_by(2) {
                let j1 = (j + 1).min(n - 1);
                let mut i = tile;
                while i < end {
                    let take = (end - i).min(4);
                    let last = take - 1;
                    let pairs = sums([i, i + last.min(1), i + last.min(2), i + last], j, j1);
                    for (r, pair) in pairs.iter().enumerate().take(take) {
                        out[(i + r) * n + j] = pair[0] + b[j];
                        out[(i + r) * n + j1] = pair[1] + b[j1];
                    }
                    i += take;
                }
            }
        }
        out
    }

    #[cfg(target_feature = "simd128")]
    mod micro {
        use core::arch::wasm32::*;

        /// Dot products of four input rows with two weight rows: eight 4-lane
        /// accumulators plus three loads per step fit the 16 vector registers V8 uses.
        #[inline(always)]
        pub(super) fn dot_f32(xs: [&[f32]; 4], w0: &[f32], w1: &[f32]) -> [[f32; 2]; 4] {
            let k = w0.len();
            assert!(xs.iter().all(|x| x.len() == k) && w1.len() == k);
            let mut acc = [f32x4_splat(0.0); 8];
            let mut p = 0;
            // SAFETY: every load reads 4 floats at p with p + 4 ≤ k, and all slices
            // have length k (asserted above). v128_load allows unaligned addresses.
            unsafe {
                while p + 4 <= k {
                    let a = v128_load(w0.as_ptr().add(p) as *const v128);
                    let c = v128_load(w1.as_ptr().add(p) as *const v128);
                    for r in 0..4 {
                        let xv = v128_load(xs[r].as_ptr().add(p) as *const v128);
                        acc[2 * r] = f32x4_add(acc[2 * r], f32x4_mul(xv, a));
                        acc[2 * r + 1] = f32x4_add(acc[2 * r + 1], f32x4_mul(xv, c));
                    }
                    p += 4;
                }
            }
            let mut sums = [[0.0f32; 2]; 4];
            for r in 0..4 {
                for c in 0..2 {
                    let v = acc[2 * r + c];
                    let mut s = (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v))
                        + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v));
                    let w = if c == 0 { w0 } else { w1 };
                    for q in p..k {
                        s += xs[r][q] * w[q];
                    }
                    sums[r][c] = s;
                }
            }
            sums
        }

        /// `a·b + c`: one fused multiply-add where the engine has relaxed SIMD (x86
        /// FMA3, Arm `fmla`; the relaxed instruction may also round twice, which is what
        /// the SIMD128 build does).
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn madd(a: v128, b: v128, c: v128) -> v128 {
            f32x4_relaxed_madd(a, b, c)
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        fn madd(a: v128, b: v128, c: v128) -> v128 {
            f32x4_add(c, f32x4_mul(a, b))
        }

        /// [`super::matmul`]: column blocks of 16 (four vectors of `b`'s row), rows by
        /// two (an odd last row pairs with itself), eight accumulators; columns past
        /// the last whole block one at a time.
        #[inline(always)]
        pub(super) fn matmul(a: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
            let m = a.len() / k.max(1);
            assert!(a.len() == m * k && b.len() >= k * n);
            let mut out = vec![0.0f32; m * n];
            let full = n - n % 16;
            for j in (0..full).step_by(16) {
                for i in (0..m).step_by(2) {
                    let i1 = (i + 1).min(m - 1);
                    let (x0, x1) = (&a[i * k..(i + 1) * k], &a[i1 * k..(i1 + 1) * k]);
                    let mut acc = [f32x4_splat(0.0); 8];
                    // SAFETY: reads 16 floats of `b` at p·n + j with j + 16 ≤ n and
                    // p < k, inside b (asserted above); writes 16 floats at row·n + j
                    // for rows < m, inside out. Loads and stores may be unaligned.
                    unsafe {
                        for p in 0..k {
                            let row = b.as_ptr().add(p * n + j);
                            let (s0, s1) = (f32x4_splat(x0[p]), f32x4_splat(x1[p]));
                            for c in 0..4 {
                                let v = v128_load(row.add(4 * c) as *const v128);
                                acc[c] = madd(s0, v, acc[c]);
                                acc[4 + c] = madd(s1, v, acc[4 + c]);
                            }
                        }
                        for (r, row) in [i, i1].into_iter().enumerate() {
                            let o = out.as_mut_ptr().add(row * n + j);
                            for c in 0..4 {
                                v128_store(o.add(4 * c) as *mut v128, acc[4 * r + c]);
                            }
                        }
                    }
                }
            }
            if full < n {
                for (x, o) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
                    for (p, &xp) in x.iter().enumerate() {
                        for (o, v) in o[full..].iter_mut().zip(&b[p * n + full..(p + 1) * n]) {
                            *o += xp * v;
                        }
                    }
                }
            }
            out
        }

        /// The largest `|v|` in `row` (0 for an empty row): the scalar fold's comparisons
        /// (`f32x4.pmax` keeps its first operand unless the second is larger), four lanes
        /// at a time.
        #[inline(always)]
        pub(super) fn abs_max(row: &[f32]) -> f32 {
            let chunks = row.chunks_exact(4);
            let tail = chunks.remainder();
            let mut m = f32x4_splat(0.0);
            for c in chunks {
                // SAFETY: `c` holds 4 floats; v128_load allows unaligned addresses.
                m = f32x4_pmax(
                    m,
                    f32x4_abs(unsafe { v128_load(c.as_ptr() as *const v128) }),
                );
            }
            let lanes = [
                f32x4_extract_lane::<0>(m),
                f32x4_extract_lane::<1>(m),
                f32x4_extract_lane::<2>(m),
                f32x4_extract_lane::<3>(m),
            ];
            super::super::larger_abs(lanes.iter().chain(tail))
        }

        /// `out[i] = round_ties_even(row[i] · inv)` saturated to 16 bits: `f32x4.nearest`,
        /// `i32x4.trunc_sat_f32x4_s`, `i16x8.narrow_i32x4_s` (saturating, like `as i16`).
        #[inline(always)]
        pub(super) fn quantize(row: &[f32], inv: f32, out: &mut [i16]) {
            assert_eq!(row.len(), out.len());
            let s = f32x4_splat(inv);
            let mut p = 0;
            // SAFETY: reads and writes 8 values at p with p + 8 ≤ len of both slices.
            unsafe {
                while p + 8 <= row.len() {
                    let lo =
                        f32x4_nearest(f32x4_mul(v128_load(row.as_ptr().add(p) as *const v128), s));
                    let hi = f32x4_nearest(f32x4_mul(
                        v128_load(row.as_ptr().add(p + 4) as *const v128),
                        s,
                    ));
                    let q =
                        i16x8_narrow_i32x4(i32x4_trunc_sat_f32x4(lo), i32x4_trunc_sat_f32x4(hi));
                    v128_store(out.as_mut_ptr().add(p) as *mut v128, q);
                    p += 8;
                }
            }
            super::super::quantize_scalar(&row[p..], inv, &mut out[p..]);
        }

        /// The integer version: 16-bit inputs, int8 weights sign-extended to 16 bits as
        /// they load (`i16x8.load8x8_s`), `i32x4.dot_i16x8_s` (8 multiply-adds each);
        /// each accumulator's four lanes summed by shuffles ([`lane_sums`]), exact in 32
        /// bits for inputs within [`super::INPUT_MAX`].
        #[inline(always)]
        pub(super) fn dot_int(xs: [&[i16]; 4], w0: &[i8], w1: &[i8]) -> [[i32; 2]; 4] {
            let k = w0.len();
            assert!(xs.iter().all(|x| x.len() == k) && w1.len() == k);
            let mut acc = [i32x4_splat(0); 8];
            let mut p = 0;
            // SAFETY: reads 8 values of each slice at p with p + 8 ≤ k; all slices
            // have length k (asserted above); loads may be unaligned.
            unsafe {
                while p + 8 <= k {
                    let a = i16x8_load_extend_i8x8(w0.as_ptr().add(p));
                    let c = i16x8_load_extend_i8x8(w1.as_ptr().add(p));
                    for r in 0..4 {
                        let xv = v128_load(xs[r].as_ptr().add(p) as *const v128);
                        acc[2 * r] = i32x4_add(acc[2 * r], i32x4_dot_i16x8(xv, a));
                        acc[2 * r + 1] = i32x4_add(acc[2 * r + 1], i32x4_dot_i16x8(xv, c));
                    }
                    p += 8;
                }
            }
            let first = lane_sums([acc[0], acc[2], acc[4], acc[6]]);
            let second = lane_sums([acc[1], acc[3], acc[5], acc[7]]);
            let tail = |x: &[i16], w: &[i8]| -> i32 {
                x[p..]
                    .iter()
                    .zip(&w[p..])
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum()
            };
            core::array::from_fn(|r| {
                [
                    first[r].wrapping_add(tail(xs[r], w0)),
                    second[r].wrapping_add(tail(xs[r], w1)),
                ]
            })
        }

        /// The lane sums of four vectors, `[Σ v[0], Σ v[1], Σ v[2], Σ v[3]]`: two rounds
        /// of pairwise shuffles and adds (wrapping, as the lanes add).
        #[inline(always)]
        pub(super) fn lane_sums(v: [v128; 4]) -> [i32; 4] {
            let s01 = i32x4_add(
                i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]),
                i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]),
            );
            let s23 = i32x4_add(
                i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]),
                i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]),
            );
            let t = i32x4_add(
                i32x4_shuffle::<0, 1, 4, 5>(s01, s23),
                i32x4_shuffle::<2, 3, 6, 7>(s01, s23),
            );
            [
                i32x4_extract_lane::<0>(t),
                i32x4_extract_lane::<1>(t),
                i32x4_extract_lane::<2>(t),
                i32x4_extract_lane::<3>(t),
            ]
        }
    }

    /// The int8 path on engines with relaxed SIMD (the `relaxed` build; see the wasm
    /// module's docs for how the page picks it): 8-bit dot products,
    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`, 16 multiply-adds per instruction
    /// (`vpdpbusd` where the CPU has VNNI), twice the 16-bit dot's.
    ///
    /// The instruction's second operand must fit in 7 bits unsigned (beyond that engines
    /// may differ), so each input is quantized to 14 bits (`|q| ≤ 8191`, one scale per
    /// row, relative error ≤ 6·10⁻⁵ of the row's largest value) and split into two such
    /// bytes: `q = 128 · (hi − 64) + lo` with `hi, lo ∈ [0, 127]`. Then
    /// `w·q = 128 · (w·hi) + w·lo − 8192 · Σw`, all exact in integers: every engine
    /// computes the same sums, and they equal the scalar [`split_dot`] below.
    #[cfg(target_feature = "relaxed-simd")]
    mod split {
        use core::arch::wasm32::*;

        use super::Int8Matrix;

        /// Each row of `x` (`k` wide) quantized to 14 bits and split into its high and
        /// low 7-bit bytes (row after row, `k` each), with one scale per row.
        struct Split {
            hi: Vec<u8>,
            lo: Vec<u8>,
            scales: Vec<f32>,
        }

        fn split_rows(x: &[f32], k: usize) -> Split {
            let mut out = Split {
                hi: vec![0; x.len()],
                lo: vec![0; x.len()],
                scales: Vec::with_capacity(x.len() / k),
            };
            let rows = x
                .chunks_exact(k)
                .zip(out.hi.chunks_exact_mut(k))
                .zip(out.lo.chunks_exact_mut(k));
            for ((row, hi), lo) in rows {
                // The same scale and rounding as `wide`'s (f32.nearest, not round, a
                // libm call in wasm); the loop below compiles to SIMD.
                let (s, inv) = super::row_scale(row);
                for ((v, h), l) in row.iter().zip(hi.iter_mut()).zip(lo.iter_mut()) {
                    (*h, *l) = super::super::split_value((v * inv).round_ties_even() as i32);
                }
                out.scales.push(s);
            }
            out
        }

        /// The layer: [`super::drive`] over [`dot`], each sum corrected by its weight
        /// row's offset (`8192 · Σw`) and scaled back to f32.
        pub(in super::super) fn dense(
            x: &[f32],
            m: &Int8Matrix,
            offsets: &[i32],
            b: &[f32],
        ) -> Vec<f32> {
            let k = m.cols;
            let xs = split_rows(x, k);
            let hi = |i: usize| &xs.hi[i * k..(i + 1) * k];
            let lo = |i: usize| &xs.lo[i * k..(i + 1) * k];
            let weight = |j: usize| &m.q[j * k..(j + 1) * k];
            super::drive(x.len() / k, b, |i, j, j1| {
                let (w0, w1) = (weight(j), weight(j1));
                let pairs = [(i[0], i[1]), (i[2], i[3])];
                let sums = pairs.map(|(a, c)| dot([hi(a), hi(c)], [lo(a), lo(c)], w0, w1));
                let exact = core::array::from_fn(|r| {
                    let [w0_sum, w1_sum] = sums[r / 2][r % 2];
                    [
                        w0_sum.wrapping_sub(offsets[j]),
                        w1_sum.wrapping_sub(offsets[j1]),
                    ]
                });
                super::rescale(exact, i.map(|r| xs.scales[r]), m.scale[j], m.scale[j1])
            })
        }

        /// `128 · (w·hi) + w·lo` for two input rows and two weight rows, as
        /// `[[row 0 · w0, row 0 · w1], [row 1 · w0, row 1 · w1]]`.
        ///
        /// Eight 4-lane accumulators, two weight and two input registers per step. The
        /// sums are taken modulo 2³² (wrapping): `128 · (w·hi)` alone can pass 2³¹ for
        /// k = 1536, but the true product `w·q` fits in 32 bits, so the caller's
        /// wrapping subtraction of the offset lands on it exactly.
        #[inline(always)]
        fn dot(hi: [&[u8]; 2], lo: [&[u8]; 2], w0: &[i8], w1: &[i8]) -> [[i32; 2]; 2] {
            let k = w0.len();
            assert!(hi.iter().chain(&lo).all(|x| x.len() == k) && w1.len() == k);
            let mut acc = [i32x4_splat(0); 8];
            let mut p = 0;
            // SAFETY: reads 16 bytes of each slice at p with p + 16 ≤ k; all slices
            // have length k (asserted above); loads may be unaligned.
            unsafe {
                while p + 16 <= k {
                    let a = v128_load(w0.as_ptr().add(p) as *const v128);
                    let c = v128_load(w1.as_ptr().add(p) as *const v128);
                    for r in 0..2 {
                        let h = v128_load(hi[r].as_ptr().add(p) as *const v128);
                        let l = v128_load(lo[r].as_ptr().add(p) as *const v128);
                        acc[4 * r] = i32x4_relaxed_dot_i8x16_i7x16_add(a, h, acc[4 * r]);
                        acc[4 * r + 1] = i32x4_relaxed_dot_i8x16_i7x16_add(a, l, acc[4 * r + 1]);
                        acc[4 * r + 2] = i32x4_relaxed_dot_i8x16_i7x16_add(c, h, acc[4 * r + 2]);
                        acc[4 * r + 3] = i32x4_relaxed_dot_i8x16_i7x16_add(c, l, acc[4 * r + 3]);
                    }
                    p += 16;
                }
            }
            // 128 · hi + lo per lane, then the four vectors' lane sums.
            let v: [v128; 4] =
                core::array::from_fn(|i| i32x4_add(i32x4_shl(acc[2 * i], 7), acc[2 * i + 1]));
            let t = super::micro::lane_sums(v);
            let tail = |r: usize, w: &[i8]| {
                super::super::split_dot(&hi[r][p..], &lo[r][p..], &w[p..]) as i32
            };
            [
                [
                    t[0].wrapping_add(tail(0, w0)),
                    t[1].wrapping_add(tail(0, w1)),
                ],
                [
                    t[2].wrapping_add(tail(1, w0)),
                    t[3].wrapping_add(tail(1, w1)),
                ],
            ]
        }
    }

    /// The same products without SIMD (the `--no-simd` comparison build).
    #[cfg(not(target_feature = "simd128"))]
    mod micro {
        pub(super) fn abs_max(row: &[f32]) -> f32 {
            super::super::larger_abs(row)
        }

        pub(super) fn matmul(a: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
            super::super::matmul_scalar(a, b, k, n)
        }

        pub(super) fn quantize(row: &[f32], inv: f32, out: &mut [i16]) {
            super::super::quantize_scalar(row, inv, out)
        }

        pub(super) fn dot_f32(xs: [&[f32]; 4], w0: &[f32], w1: &[f32]) -> [[f32; 2]; 4] {
            xs.map(|x| [crate::vector::dot(x, w0), crate::vector::dot(x, w1)])
        }

        pub(super) fn dot_int(xs: [&[i16]; 4], w0: &[i8], w1: &[i8]) -> [[i32; 2]; 4] {
            let dot = |x: &[i16], w: &[i8]| {
                x.iter()
                    .zip(w)
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum()
            };
            xs.map(|x| [dot(x, w0), dot(x, w1)])
        }
    }
}

/// `a · b` for `a` of `m × k` and `b` of `k × n`, as `m × n`: each output row a sum of
/// `b`'s rows scaled (element-wise along the row, which the compiler vectorises).
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
fn matmul_scalar(a: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; (a.len() / k.max(1)) * n];
    for (x, o) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
        for (&xp, row) in x.iter().zip(b.chunks_exact(n)) {
            for (o, v) in o.iter_mut().zip(row) {
                *o += xp * v;
            }
        }
    }
    out
}

/// The largest `|v|`, 0 if none is larger (comparisons, not `f32::max`: a libm call in
/// wasm).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn larger_abs<'a>(values: impl IntoIterator<Item = &'a f32>) -> f32 {
    values
        .into_iter()
        .fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m })
}

/// `out[i] = round_ties_even(row[i] · inv) as i16`, one value at a time (`f32.nearest`,
/// not `f32::round`: a libm call in wasm).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn quantize_scalar(row: &[f32], inv: f32, out: &mut [i16]) {
    for (o, v) in out.iter_mut().zip(row) {
        *o = (v * inv).round_ties_even() as i16;
    }
}

/// A 14-bit integer (`|q| ≤ 8191`) as the relaxed-SIMD kernel's two 7-bit unsigned
/// bytes: `q = 128 · (hi − 64) + lo`.
#[cfg(any(test, target_feature = "relaxed-simd"))]
fn split_value(q: i32) -> (u8, u8) {
    (((q >> 7) + 64) as u8, (q & 127) as u8)
}

/// `128 · (w·hi) + w·lo`, as the relaxed-SIMD kernel sums it (its tail, and the
/// reference its tests check the split against).
#[cfg(any(test, target_feature = "relaxed-simd"))]
fn split_dot(hi: &[u8], lo: &[u8], w: &[i8]) -> i64 {
    hi.iter()
        .zip(lo)
        .zip(w)
        .map(|((&h, &l), &w)| 128 * i64::from(h) * i64::from(w) + i64::from(l) * i64::from(w))
        .sum()
}

/// `x[i] = LayerNorm(x[i] + residual[i])` row by row, with `gamma`/`beta` of the
/// row's width (BERT's post-norm residual blocks; eps from config.json).
pub(crate) fn add_layer_norm(
    x: &mut [f32],
    residual: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    let width = gamma.len();
    for (row, res) in x.chunks_exact_mut(width).zip(residual.chunks_exact(width)) {
        for (v, r) in row.iter_mut().zip(res) {
            *v += r;
        }
        layer_norm_row(row, gamma, beta, eps);
    }
}

/// LayerNorm of one row in place (population variance, as PyTorch).
pub(crate) fn layer_norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |v| v) / n;
    let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv * g + b;
    }
}

/// GELU in its erf form (BERT's `hidden_act: "gelu"`, candle's `gelu_erf`), in place.
#[cfg(not(target_feature = "relaxed-simd"))]
pub(crate) fn gelu(x: &mut [f32]) {
    for v in x {
        *v = gelu_of(*v);
    }
}

/// `0.5 · x · (1 + erf(x / √2))`.
#[inline(always)]
fn gelu_of<T: Arith>(x: T) -> T {
    let e = erf(x.mul(T::splat(std::f32::consts::FRAC_1_SQRT_2)));
    T::splat(0.5).mul(x).mul(T::splat(1.0).add(e))
}

/// erf as a rational function of x on [-4, 4] (±1 to f32 precision outside): the
/// minimax fit Eigen uses for float (`generic_fast_erf_float`). Max error 3.8·10⁻⁷
/// against libm's f64 erf (libm's `erff` is a function call per value in wasm; this is
/// branch-free arithmetic the compiler vectorises, and a test below checks the bound,
/// with multiply-adds fused and not).
#[inline(always)]
#[allow(clippy::excessive_precision)] // the published coefficients, as published
fn erf<T: Arith>(x: T) -> T {
    let c = T::splat;
    let x = x.clamp(-4.0, 4.0);
    let x2 = x.mul(x);
    let mut p = x2.madd(c(-2.72614225801306e-10), c(2.77068142495902e-08));
    p = x2.madd(p, c(-2.10102402082508e-06));
    p = x2.madd(p, c(-5.69250639462346e-05));
    p = x2.madd(p, c(-7.34990630326855e-04));
    p = x2.madd(p, c(-2.95459980854025e-03));
    p = x2.madd(p, c(-1.60960333262415e-02));
    let mut q = x2.madd(c(-1.45660718464996e-05), c(-2.13374055278905e-04));
    q = x2.madd(q, c(-1.68282697438203e-03));
    q = x2.madd(q, c(-7.37332916720468e-03));
    q = x2.madd(q, c(-1.42647390514189e-02));
    x.mul(p).div(q)
}

/// The arithmetic [`exp`] and [`erf`] are written in, so that one text serves one value
/// (`f32`, which the compiler vectorises; multiply and add rounded apart) and, in the
/// relaxed build, four lanes with fused multiply-adds (`fused`).
trait Arith: Copy {
    fn splat(v: f32) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    /// `self · b + c`, fused or not.
    fn madd(self, b: Self, c: Self) -> Self;
    /// Within `[lo, hi]`, as `f32::clamp`.
    fn clamp(self, lo: f32, hi: f32) -> Self;
    /// `2ⁿ` for `n = self`, a whole number in `[-126, 127]`: `n + 127` in the exponent bits.
    fn exp2_whole(self) -> Self;
}

impl Arith for f32 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        self / o
    }
    #[inline(always)]
    fn madd(self, b: Self, c: Self) -> Self {
        self * b + c
    }
    #[inline(always)]
    fn clamp(self, lo: f32, hi: f32) -> Self {
        f32::clamp(self, lo, hi)
    }
    #[inline(always)]
    fn exp2_whole(self) -> Self {
        f32::from_bits(((self as i32 + 127) as u32) << 23)
    }
}

/// The relaxed build's GELU and softmax exponentials: [`gelu_of`] and [`exp`] on four
/// lanes at a time, their multiply-adds fused (`f32x4.relaxed_madd`: one FMA on x86 with
/// FMA3 and on Arm), about a third fewer instructions than the separate multiply and add
/// the compiler emits from the `f32` text.
#[cfg(target_feature = "relaxed-simd")]
mod fused {
    use super::{exp, gelu_of, Arith};
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    struct F4(v128);

    impl Arith for F4 {
        #[inline(always)]
        fn splat(v: f32) -> Self {
            F4(f32x4_splat(v))
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F4(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F4(f32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            F4(f32x4_div(self.0, o.0))
        }
        #[inline(always)]
        fn madd(self, b: Self, c: Self) -> Self {
            F4(f32x4_relaxed_madd(self.0, b.0, c.0))
        }
        #[inline(always)]
        fn clamp(self, lo: f32, hi: f32) -> Self {
            // pmin(x, hi) = hi < x ? hi : x; pmax(y, lo) = y < lo ? lo : y.
            F4(f32x4_pmax(
                f32x4_pmin(self.0, f32x4_splat(hi)),
                f32x4_splat(lo),
            ))
        }
        #[inline(always)]
        fn exp2_whole(self) -> Self {
            F4(i32x4_shl(
                i32x4_add(i32x4_trunc_sat_f32x4(self.0), i32x4_splat(127)),
                23,
            ))
        }
    }

    /// Four floats of `block` at `at` through `f`, in place.
    #[inline(always)]
    fn map4(block: &mut [f32], at: usize, f: impl Fn(F4) -> F4) -> v128 {
        assert!(at + 4 <= block.len());
        let p = block[at..].as_mut_ptr();
        // SAFETY: 4 floats at p are inside block (asserted); unaligned access is allowed.
        unsafe {
            let y = f(F4(v128_load(p as *const v128))).0;
            v128_store(p as *mut v128, y);
            y
        }
    }

    /// [`super::gelu`] in place.
    pub(crate) fn gelu(x: &mut [f32]) {
        let mut blocks = x.chunks_exact_mut(4);
        for block in &mut blocks {
            map4(block, 0, gelu_of);
        }
        for v in blocks.into_remainder() {
            *v = gelu_of(*v);
        }
    }

    /// [`super::exp_and_sum`]: two vectors of partial sums (the same 8 lanes).
    pub(crate) fn exp_and_sum(row: &mut [f32], max: f32) -> f32 {
        let m = F4::splat(max);
        let mut sums = [f32x4_splat(0.0); 2];
        let mut blocks = row.chunks_exact_mut(8);
        for block in &mut blocks {
            for (h, total) in sums.iter_mut().enumerate() {
                *total = f32x4_add(*total, map4(block, 4 * h, |v| exp(v.sub(m))));
            }
        }
        let mut total = 0.0;
        for s in blocks.into_remainder() {
            *s = exp(*s - max);
            total += *s;
        }
        let s = f32x4_add(sums[0], sums[1]);
        total
            + ((f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s))
                + (f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s)))
    }
}

#[cfg(target_feature = "relaxed-simd")]
use fused::exp_and_sum;
#[cfg(target_feature = "relaxed-simd")]
pub(crate) use fused::gelu;

/// Multi-head self-attention inside one sequence. `qkv` holds `len` rows of
/// `[q | k | v]` (3 × `hidden`); writes `len` rows of `hidden` context into `out`.
/// Every row is a real token, so no mask is needed: packing without padding is what
/// makes the result equal to the padded, masked batch.
///
/// Per head, both products are [`matmul`]s: scores `= (q/√d)·kᵀ` (the keys stored
/// transposed, their count padded with zero keys to a multiple of 16, the kernel's
/// column block), then, after an unnormalised softmax over the real keys (the padding's
/// scores set to 0), context `= p·v` (zero value rows for the padding) divided by each
/// row's total. The `1/√d` scale (MiniLM: d = 32) is applied to `q` once.
pub(crate) fn attention(qkv: &[f32], heads: usize, hidden: usize, out: &mut [f32]) {
    let len = qkv.len() / (3 * hidden);
    if len == 0 {
        return;
    }
    let d = hidden / heads;
    let keys = len.next_multiple_of(16);
    let scale = 1.0 / (d as f32).sqrt();
    let mut q = vec![0.0f32; len * d];
    let mut k_t = vec![0.0f32; d * keys]; // this head's keys, transposed
    let mut v = vec![0.0f32; keys * d];
    for h in 0..heads {
        for (t, row) in qkv.chunks_exact(3 * hidden).enumerate() {
            let at = h * d;
            for (x, y) in q[t * d..(t + 1) * d].iter_mut().zip(&row[at..at + d]) {
                *x = y * scale;
            }
            for (i, &key) in row[hidden + at..hidden + at + d].iter().enumerate() {
                k_t[i * keys + t] = key;
            }
            v[t * d..(t + 1) * d].copy_from_slice(&row[2 * hidden + at..2 * hidden + at + d]);
        }
        let mut scores = matmul(&q, &k_t, d, keys);
        let mut totals = Vec::with_capacity(len);
        for row in scores.chunks_exact_mut(keys) {
            let (real, padding) = row.split_at_mut(len);
            totals.push(softmax_unnormalised(real));
            padding.fill(0.0);
        }
        let context = matmul(&scores, &v, keys, d);
        for ((o, c), total) in out
            .chunks_exact_mut(hidden)
            .zip(context.chunks_exact(d))
            .zip(&totals)
        {
            for (o, c) in o[h * d..(h + 1) * d].iter_mut().zip(c) {
                *o = c / total;
            }
        }
    }
}

/// Lanes for the reductions of softmax and LayerNorm: independent partial maxima and
/// sums, so the compiler can keep them in vectors (a float reduction in one
/// accumulator is a chain of dependent scalar operations, since it may not reorder it).
const LANES: usize = 8;

/// `Σ f(v)` over `values`, in [`LANES`] partial sums.
#[inline(always)]
fn lane_sum(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut sums = [0.0f32; LANES];
    let mut blocks = values.chunks_exact(LANES);
    for block in &mut blocks {
        for (total, &v) in sums.iter_mut().zip(block) {
            *total += f(v);
        }
    }
    blocks.remainder().iter().map(|&v| f(v)).sum::<f32>() + sums.iter().sum::<f32>()
}

/// `row[i] = e^(row[i] − max)`, returning their sum (the softmax's denominator).
fn softmax_unnormalised(row: &mut [f32]) -> f32 {
    // Comparisons, not f32::max (a libm call per value in wasm).
    let larger = |m: f32, s: f32| if s > m { s } else { m };
    let mut maxima = [f32::NEG_INFINITY; LANES];
    let mut blocks = row.chunks_exact(LANES);
    for block in &mut blocks {
        for (m, &s) in maxima.iter_mut().zip(block) {
            *m = larger(*m, s);
        }
    }
    let max = blocks
        .remainder()
        .iter()
        .chain(&maxima)
        .fold(f32::NEG_INFINITY, |m, &s| larger(m, s));
    exp_and_sum(row, max)
}

/// `row[i] = e^(row[i] − max)`, returning their sum, in [`LANES`] partial sums.
#[cfg(not(target_feature = "relaxed-simd"))]
fn exp_and_sum(row: &mut [f32], max: f32) -> f32 {
    let mut sums = [0.0f32; LANES];
    let mut blocks = row.chunks_exact_mut(LANES);
    for block in &mut blocks {
        for (total, s) in sums.iter_mut().zip(block) {
            *s = exp(*s - max);
            *total += *s;
        }
    }
    let mut total = 0.0;
    for s in blocks.into_remainder() {
        *s = exp(*s - max);
        total += *s;
    }
    total + sums.iter().sum::<f32>()
}

/// eˣ for finite `x` (attention's softmax, where `x ≤ 0`), within 2 ulp: Cody–Waite
/// reduction to `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`, Cephes' `expf` polynomial for eʳ,
/// and 2ⁿ put in the exponent bits. Branch-free arithmetic the compiler vectorises
/// (libm's `expf` is a function call per value in wasm); rounding to `n` is the
/// add-and-subtract of 1.5·2²³, which needs no rounding instruction.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the published coefficients, as published
fn exp<T: Arith>(x: T) -> T {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³
    let c = T::splat;
    let x = x.clamp(-87.0, 88.0);
    let n = x.madd(c(std::f32::consts::LOG2_E), c(ROUND)).sub(c(ROUND));
    let r = n.madd(c(-0.693_359_375), x);
    let r = n.madd(c(2.121_944_4e-4), r);
    let mut p = c(1.987_569_150_0e-4);
    p = p.madd(r, c(1.398_199_950_7e-3));
    p = p.madd(r, c(8.333_451_907_3e-3));
    p = p.madd(r, c(4.166_579_589_4e-2));
    p = p.madd(r, c(1.666_666_545_9e-1));
    p = p.madd(r, c(5.000_000_120_1e-1));
    let e = p.mul(r).madd(r, r).add(c(1.0));
    e.mul(n.exp2_whole())
}

#[cfg(test)]
mod tests {
    /// The relaxed-SIMD kernel's arithmetic: the split is lossless, its bytes fit the
    /// instruction's 7-bit operand, and `split_dot − 8192 · Σw` is the exact dot product
    /// (extremes included: 1536 products of 8191 · 127 would overflow a 32-bit lane sum
    /// of unsplit values).
    #[test]
    fn split_inputs_give_exact_dot_products() {
        for q in -8191..=8191 {
            let (hi, lo) = super::split_value(q);
            assert!(hi <= 127 && lo <= 127, "{q} → {hi}, {lo}");
            assert_eq!(128 * (i32::from(hi) - 64) + i32::from(lo), q);
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let extremes = [(8191, 127), (-8191, -127), (8191, -127), (-8191, 127)];
        for case in 0..40 {
            let k = [384, 1536, 17][case % 3];
            let (q, w): (Vec<i32>, Vec<i8>) = (0..k)
                .map(|i| match case {
                    0..=3 => extremes[case],
                    _ if i % 5 == 0 => extremes[i % 4],
                    _ => ((next() % 16383) as i32 - 8191, (next() % 255) as i8),
                })
                .map(|(q, w)| (q, w.clamp(-127, 127)))
                .unzip();
            let (hi, lo): (Vec<u8>, Vec<u8>) = q.iter().map(|&q| super::split_value(q)).unzip();
            let sum_w: i64 = w.iter().map(|&w| i64::from(w)).sum();
            let exact: i64 = q
                .iter()
                .zip(&w)
                .map(|(&q, &w)| i64::from(q) * i64::from(w))
                .sum();
            assert_eq!(
                super::split_dot(&hi, &lo, &w) - 8192 * sum_w,
                exact,
                "case {case}"
            );
        }
    }

    /// One value with its multiply-adds fused (`f32::mul_add`): what the relaxed build's
    /// four lanes compute where the engine fuses `relaxed_madd` (x86 FMA3, Arm).
    #[derive(Clone, Copy)]
    struct Fused(f32);

    impl super::Arith for Fused {
        fn splat(v: f32) -> Self {
            Fused(v)
        }
        fn add(self, o: Self) -> Self {
            Fused(self.0 + o.0)
        }
        fn sub(self, o: Self) -> Self {
            Fused(self.0 - o.0)
        }
        fn mul(self, o: Self) -> Self {
            Fused(self.0 * o.0)
        }
        fn div(self, o: Self) -> Self {
            Fused(self.0 / o.0)
        }
        fn madd(self, b: Self, c: Self) -> Self {
            Fused(self.0.mul_add(b.0, c.0))
        }
        fn clamp(self, lo: f32, hi: f32) -> Self {
            Fused(self.0.clamp(lo, hi))
        }
        fn exp2_whole(self) -> Self {
            Fused(self.0.exp2_whole())
        }
    }

    #[test]
    fn exp_is_within_two_ulp_where_softmax_uses_it() {
        // Multiply and add rounded apart, and fused.
        for exp in [
            &(|x: f32| super::exp(x)) as &dyn Fn(f32) -> f32,
            &|x: f32| super::exp(Fused(x)).0,
        ] {
            let mut worst = 0.0f64;
            for i in -870_000..=880_000 {
                let x = i as f32 * 1e-4;
                let want = f64::from(x).exp();
                worst = worst.max((f64::from(exp(x)) - want).abs() / want);
            }
            assert!(worst < 2.5e-7, "max relative exp error {worst:e}");
            assert_eq!(exp(0.0), 1.0);
            assert!(exp(-1e30) < 1e-37);
        }
    }

    /// The lane-wise maximum and sum against a plain softmax in f64, for rows shorter
    /// than, equal to and past the lanes (with a remainder), the maximum anywhere.
    #[test]
    fn softmax_rows_of_every_length_match_a_plain_one() {
        for len in 1..=40usize {
            for peak in [0, len / 2, len - 1] {
                let row: Vec<f32> = (0..len)
                    .map(|i| {
                        if i == peak {
                            9.5
                        } else {
                            (i as f32 * 0.7).sin() * 4.0
                        }
                    })
                    .collect();
                let max = row
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, &s| m.max(f64::from(s)));
                let want: Vec<f64> = row.iter().map(|&s| (f64::from(s) - max).exp()).collect();
                let mut got = row.clone();
                let total = super::softmax_unnormalised(&mut got);
                assert_eq!(got[peak], 1.0, "len {len}: the maximum's term is e⁰");
                // `s − max` rounds in f32 first: ≈ 1 ulp of a value up to 14 on top of
                // exp's own error.
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (f64::from(*g) - w).abs() <= 1.5e-6 * w,
                        "len {len}: {g} vs {w}"
                    );
                }
                let want_total: f64 = want.iter().sum();
                assert!(
                    (f64::from(total) - want_total).abs() <= 1e-6 * want_total,
                    "len {len}"
                );
            }
        }
    }

    #[test]
    fn erf_is_within_its_stated_error_everywhere() {
        for erf in [
            &(|x: f32| super::erf(x)) as &dyn Fn(f32) -> f32,
            &|x: f32| super::erf(Fused(x)).0,
        ] {
            let mut worst = 0.0f64;
            for i in -120_000..=120_000 {
                let x = i as f32 * 1e-4;
                let want = candle_core::cpu::erf::erf_f64(f64::from(x));
                worst = worst.max((f64::from(erf(x)) - want).abs());
            }
            assert!(worst < 4e-7, "max |erf error| {worst:e}");
            assert_eq!(erf(f32::INFINITY), 1.0);
            assert_eq!(erf(-1e30), -1.0);
        }
    }
}
