/**
 * A tensor held in plain host memory: what weight files, golden data and the worker protocol carry.
 * Layouts are PyTorch's (C order, NCHW images, Linear weights [out, in]).
 */
export interface HostTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Named tensors in file order. */
export type TensorMap = Map<string, HostTensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
