import { describe, expect, it } from 'vitest';
import { accuracy, knnUniform, majorityVote } from './knn-uniform';

describe('the write-up k-NN rule (sklearn KNeighborsClassifier defaults)', () => {
  it('ties between equally voted classes go to the smallest class id', () => {
    expect(majorityVote([3, 1, 3, 1])).toBe(1);
    expect(majorityVote([2, 0, 2, 0, 5])).toBe(0);
    expect(majorityVote([4, 4, 1])).toBe(4);
  });

  it('votes are uniform, not weighted by distance', () => {
    // 1-D points: the query at 0 has one class-0 neighbour very close and two class-1 ones farther.
    const x = Float32Array.of(0, 0.01, 1, 1.1, 50);
    const labels = Int32Array.of(9, 0, 1, 1, 0);
    const r = knnUniform(x, 1, labels, [1, 2, 3, 4], [0], 3);
    expect(Array.from(r.neighbors)).toEqual([1, 2, 3]);
    expect(r.pred[0]).toBe(1); // 2 votes beat the much nearer single vote
    expect(r.borderGap[0]).toBeCloseTo(50 - 1.1, 5);
  });

  it('uses Euclidean distance over all dimensions, with a 2-2 tie resolved to the smaller id', () => {
    const x = Float32Array.of(0, 0, 3, 4, -3, -4, 0, 5.1, 6, 8, 0, -5.2);
    const labels = Int32Array.of(0, 7, 2, 2, 0, 7);
    const r = knnUniform(x, 2, labels, [1, 2, 3, 4, 5], [0], 4);
    expect(Array.from(r.neighbors)).toEqual([1, 2, 3, 5]); // distances 5, 5, 5.1, 5.2 (then 10)
    expect(r.pred[0]).toBe(2); // votes: class 7 x2, class 2 x2 -> 2
    expect(accuracy(r.pred, labels, [0])).toBe(0);
  });

  it('refuses k larger than the training set', () => {
    expect(() => knnUniform(Float32Array.of(0, 1), 1, Int32Array.of(0, 1), [1], [0], 2)).toThrow(/k must be/);
  });
});
