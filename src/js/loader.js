// Loads the wasm build this engine runs fastest. pkg/ holds two builds of the same code
// with the same JS glue: benefind_wasm_relaxed_bg.wasm uses relaxed SIMD (int8 weights run
// 8-bit dot products, `i32x4.relaxed_dot_i8x16_i7x16_add_s`, where timing at load finds
// them faster than 16-bit ones on this CPU) and benefind_wasm_bg.wasm
// only SIMD128. An engine that does not know relaxed SIMD rejects the whole module, so the
// choice is made before loading: by validating a 40-byte module that holds that one
// instruction. The service worker (www/sw.js) makes the same choice with the same bytes.
import init from "./benefind_wasm.js";

/**
 * A module whose one function is `i32x4.relaxed_dot_i8x16_i7x16_add_s` of three
 * `i8x16.splat`s: valid exactly where relaxed SIMD is.
 */
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // "\0asm", version 1
  1, 5, 1, 96, 0, 1, 123, // types: () -> v128
  3, 2, 1, 0, // one function of type 0
  10, 19, 1, 17, 0, // code: one body of 17 bytes, no locals
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, // 3 × (i32.const 0, i8x16.splat)
  253, 147, 2, 11, // i32x4.relaxed_dot_i8x16_i7x16_add_s, end
]);

/** Whether this engine has WebAssembly relaxed SIMD. */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The URL of the wasm build for this engine. */
export function wasmUrl() {
  const file = hasRelaxedSimd() ? "benefind_wasm_relaxed_bg.wasm" : "benefind_wasm_bg.wasm";
  return new URL(`./${file}`, import.meta.url);
}

/**
 * Initialises the wasm module (once; later calls return the same exports). `input` is
 * wasm-bindgen's init argument; by default the build for this engine ([`wasmUrl`]).
 */
export function initWasm(input = { module_or_path: wasmUrl() }) {
  return init(input);
}
