// wasi:random@0.2 (random, insecure, insecure-seed): the same functions as 0.3.0 serves (their
// WIT shapes did not change).
export { random } from '../random/index.js';
