//! Small vector math shared by the embedder, the index and the benchmarks.

/// Dot product. Natively on x86-64 CPUs with AVX2 and FMA (checked once at run time) it
/// runs 8-lane fused multiply-adds; elsewhere — wasm SIMD128 included — the portable
/// version, written with independent accumulators so the compiler vectorises it instead
/// of serialising on one sum. Graph builds and searches spend most of their time here.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above); slices are length n.
        return unsafe { avx2::dot(a, b) };
    }
    dot_portable(a, b)
}

fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len();
    let mut acc = [0.0f32; 8];
    let chunks = n / 8;
    for i in 0..chunks {
        for j in 0..8 {
            acc[j] += a[i * 8 + j] * b[i * 8 + j];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for i in chunks * 8..n {
        sum += a[i] * b[i];
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// `is_x86_feature_detected!` caches its answer; this is one relaxed load.
    #[inline]
    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// Four 8-lane accumulators (32 floats per step) hide the FMA latency.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA, and `a.len() == b.len()`.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len();
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            for (j, acc) in acc.iter_mut().enumerate() {
                let x = _mm256_loadu_ps(pa.add(i + 8 * j));
                let y = _mm256_loadu_ps(pb.add(i + 8 * j));
                *acc = _mm256_fmadd_ps(x, y, *acc);
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i)),
                _mm256_loadu_ps(pb.add(i)),
                acc[0],
            );
            i += 8;
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let lanes = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        let lanes = _mm_add_ps(lanes, _mm_movehl_ps(lanes, lanes));
        let lanes = _mm_add_ss(lanes, _mm_shuffle_ps(lanes, lanes, 1));
        let mut total = _mm_cvtss_f32(lanes);
        while i < n {
            total += a[i] * b[i];
            i += 1;
        }
        total
    }
}

/// Cosine similarity; 0 when either vector has zero length.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let denom = (dot(a, a) * dot(b, b)).sqrt();
    if denom == 0.0 {
        0.0
    } else {
        dot(a, b) / denom
    }
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Symmetric int8 quantization of one vector (or matrix row): appends
/// `round(x / scale)` for every component to `out` and returns `scale = max|x| / 127`
/// (0 for an all-zero vector, whose components are then 0). `q · scale` reads it back.
/// Shared by the bundle's int8 vector encoding and the int8 model weights.
pub(crate) fn quantize_i8(x: &[f32], out: &mut Vec<i8>) -> f32 {
    let max_abs = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = max_abs / 127.0;
    // A zero (or underflowed) scale means an all-zero vector.
    out.extend(x.iter().map(|&v| {
        if scale > 0.0 {
            (v / scale).round().clamp(-127.0, 127.0) as i8
        } else {
            0
        }
    }));
    scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }

    #[test]
    fn dispatched_dot_matches_portable_at_every_length() {
        // Covers the 32-wide, 8-wide and scalar tails of the AVX2 path (when the CPU has it).
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 40, 383, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.1).collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 53 % 13) as f32 - 6.0) * 0.07)
                .collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - naive).abs() < 1e-4, "n = {n}");
            assert!(
                (dot_portable(&a, &b) as f64 - naive).abs() < 1e-4,
                "n = {n}"
            );
        }
    }

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0; 3];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0; 3]);
        assert_eq!(cosine(&z, &v[..]), 0.0);
    }
}
