/**
 * Eigenvalues and real eigenvector bases of a small dense real (nonsymmetric) matrix, for GCRO-DR's
 * harmonic Ritz vectors (gcrodr.ts). Core's kernel set has only a symmetric eigensolver and this
 * package cannot import ml-matrix directly, so this is a port of ml-matrix 6's nonsymmetric path
 * (`EigenvalueDecomposition`: `orthes` Householder reduction to Hessenberg form, then `hqr2` shifted
 * Francis QR with eigenvector back-substitution), itself a port of JAMA (public domain; ml-matrix is
 * MIT, © 2014 Michaël Zasso). Changes: row-major Float64Array storage instead of Matrix objects, and an
 * iteration guard (60·n QR sweeps) so a pathological input returns `undefined` instead of looping.
 * O(n³); meant for n ≤ ~100. Should core's KernelSet gain a general `eig`, this file can go.
 */

/** The eigendecomposition of a real square matrix. */
export interface RealEigen {
  /** Real parts of the eigenvalues. */
  re: Float64Array;
  /** Imaginary parts; a complex pair occupies two consecutive entries (+im, −im). */
  im: Float64Array;
  /**
   * n×n row-major. For a real eigenvalue j, column j is its eigenvector; for a complex pair at j, j+1
   * (im[j] > 0), columns j and j+1 are the real and imaginary parts of the eigenvector of re[j] + i·im[j],
   * so the two columns span the pair's real invariant plane.
   */
  vectors: Float64Array;
}

/** Preallocated arrays for {@link realEigen} on matrices of order up to `size`. */
export interface RealEigenWorkspace {
  size: number;
  H: Float64Array;
  V: Float64Array;
  ort: Float64Array;
  d: Float64Array;
  e: Float64Array;
}

/** A workspace for {@link realEigen} on matrices of order ≤ size. */
export function realEigenWorkspace(size: number): RealEigenWorkspace {
  return {
    size,
    H: new Float64Array(size * size),
    V: new Float64Array(size * size),
    ort: new Float64Array(size),
    d: new Float64Array(size),
    e: new Float64Array(size),
  };
}

/**
 * The eigenvalues and eigenvectors of the n×n row-major matrix `A` (not modified), or `undefined`
 * when the QR iteration did not converge within its guard. `A` must be finite (callers check).
 * With a workspace (order ≥ n) nothing is allocated and the result's arrays are views into the
 * workspace, valid until its next use.
 */
export function realEigen(A: Float64Array, n: number, workspace?: RealEigenWorkspace): RealEigen | undefined {
  const w = workspace !== undefined && workspace.size >= n ? workspace : realEigenWorkspace(n);
  const H = w.H.subarray(0, n * n);
  H.set(A.subarray(0, n * n));
  const V = w.V.subarray(0, n * n);
  V.fill(0);
  const ort = w.ort.subarray(0, n);
  ort.fill(0);
  const d = w.d.subarray(0, n);
  d.fill(0);
  const e = w.e.subarray(0, n);
  e.fill(0);
  orthes(n, H, ort, V);
  if (!hqr2(n, e, d, V, H)) return undefined;
  return { re: d, im: e, vectors: V };
}

/* eslint-disable prefer-const */
function orthes(n: number, H: Float64Array, ort: Float64Array, V: Float64Array): void {
  const ld = n;
  let low = 0;
  let high = n - 1;
  let f: number, g: number, h: number, i: number, j: number, m: number;
  let scale: number;

  for (m = low + 1; m <= high - 1; m++) {
    scale = 0;
    for (i = m; i <= high; i++) {
      scale = scale + Math.abs(H[(i) * ld + (m - 1)]);
    }

    if (scale !== 0) {
      h = 0;
      for (i = high; i >= m; i--) {
        ort[i] = H[(i) * ld + (m - 1)] / scale;
        h += ort[i] * ort[i];
      }

      g = Math.sqrt(h);
      if (ort[m] > 0) {
        g = -g;
      }

      h = h - ort[m] * g;
      ort[m] = ort[m] - g;

      for (j = m; j < n; j++) {
        f = 0;
        for (i = high; i >= m; i--) {
          f += ort[i] * H[(i) * ld + (j)];
        }

        f = f / h;
        for (i = m; i <= high; i++) {
          H[(i) * ld + (j)] = H[(i) * ld + (j)] - f * ort[i];
        }
      }

      for (i = 0; i <= high; i++) {
        f = 0;
        for (j = high; j >= m; j--) {
          f += ort[j] * H[(i) * ld + (j)];
        }

        f = f / h;
        for (j = m; j <= high; j++) {
          H[(i) * ld + (j)] = H[(i) * ld + (j)] - f * ort[j];
        }
      }

      ort[m] = scale * ort[m];
      H[(m) * ld + (m - 1)] = scale * g;
    }
  }

  for (i = 0; i < n; i++) {
    for (j = 0; j < n; j++) {
      V[(i) * ld + (j)] = i === j ? 1 : 0;
    }
  }

  for (m = high - 1; m >= low + 1; m--) {
    if (H[(m) * ld + (m - 1)] !== 0) {
      for (i = m + 1; i <= high; i++) {
        ort[i] = H[(i) * ld + (m - 1)];
      }

      for (j = m; j <= high; j++) {
        g = 0;
        for (i = m; i <= high; i++) {
          g += ort[i] * V[(i) * ld + (j)];
        }

        g = g / ort[m] / H[(m) * ld + (m - 1)];
        for (i = m; i <= high; i++) {
          V[(i) * ld + (j)] = V[(i) * ld + (j)] + g * ort[i];
        }
      }
    }
  }
}

function hqr2(nn: number, e: Float64Array, d: Float64Array, V: Float64Array, H: Float64Array): boolean {
  const ld = nn;
  let guard = 0;
  let n = nn - 1;
  let low = 0;
  let high = nn - 1;
  let eps = Number.EPSILON;
  let exshift = 0;
  let norm = 0;
  let p = 0;
  let q = 0;
  let r = 0;
  let s = 0;
  let z = 0;
  let iter = 0;
  let i: number, j: number, k: number, l: number, m: number, t: number, w: number, x: number, y: number;
  let ra: number, sa: number, vr: number, vi: number;
  let notlast: boolean, cdivres: [number, number];

  for (i = 0; i < nn; i++) {
    if (i < low || i > high) {
      d[i] = H[(i) * ld + (i)];
      e[i] = 0;
    }

    for (j = Math.max(i - 1, 0); j < nn; j++) {
      norm = norm + Math.abs(H[(i) * ld + (j)]);
    }
  }

  while (n >= low) {
    l = n;
    while (l > low) {
      s = Math.abs(H[(l - 1) * ld + (l - 1)]) + Math.abs(H[(l) * ld + (l)]);
      if (s === 0) {
        s = norm;
      }
      if (Math.abs(H[(l) * ld + (l - 1)]) < eps * s) {
        break;
      }
      l--;
    }

    if (l === n) {
      H[(n) * ld + (n)] = H[(n) * ld + (n)] + exshift;
      d[n] = H[(n) * ld + (n)];
      e[n] = 0;
      n--;
      iter = 0;
    } else if (l === n - 1) {
      w = H[(n) * ld + (n - 1)] * H[(n - 1) * ld + (n)];
      p = (H[(n - 1) * ld + (n - 1)] - H[(n) * ld + (n)]) / 2;
      q = p * p + w;
      z = Math.sqrt(Math.abs(q));
      H[(n) * ld + (n)] = H[(n) * ld + (n)] + exshift;
      H[(n - 1) * ld + (n - 1)] = H[(n - 1) * ld + (n - 1)] + exshift;
      x = H[(n) * ld + (n)];

      if (q >= 0) {
        z = p >= 0 ? p + z : p - z;
        d[n - 1] = x + z;
        d[n] = d[n - 1];
        if (z !== 0) {
          d[n] = x - w / z;
        }
        e[n - 1] = 0;
        e[n] = 0;
        x = H[(n) * ld + (n - 1)];
        s = Math.abs(x) + Math.abs(z);
        p = x / s;
        q = z / s;
        r = Math.sqrt(p * p + q * q);
        p = p / r;
        q = q / r;

        for (j = n - 1; j < nn; j++) {
          z = H[(n - 1) * ld + (j)];
          H[(n - 1) * ld + (j)] = q * z + p * H[(n) * ld + (j)];
          H[(n) * ld + (j)] = q * H[(n) * ld + (j)] - p * z;
        }

        for (i = 0; i <= n; i++) {
          z = H[(i) * ld + (n - 1)];
          H[(i) * ld + (n - 1)] = q * z + p * H[(i) * ld + (n)];
          H[(i) * ld + (n)] = q * H[(i) * ld + (n)] - p * z;
        }

        for (i = low; i <= high; i++) {
          z = V[(i) * ld + (n - 1)];
          V[(i) * ld + (n - 1)] = q * z + p * V[(i) * ld + (n)];
          V[(i) * ld + (n)] = q * V[(i) * ld + (n)] - p * z;
        }
      } else {
        d[n - 1] = x + p;
        d[n] = x + p;
        e[n - 1] = z;
        e[n] = -z;
      }

      n = n - 2;
      iter = 0;
    } else {
      x = H[(n) * ld + (n)];
      y = 0;
      w = 0;
      if (l < n) {
        y = H[(n - 1) * ld + (n - 1)];
        w = H[(n) * ld + (n - 1)] * H[(n - 1) * ld + (n)];
      }

      if (iter === 10) {
        exshift += x;
        for (i = low; i <= n; i++) {
          H[(i) * ld + (i)] = H[(i) * ld + (i)] - x;
        }
        s = Math.abs(H[(n) * ld + (n - 1)]) + Math.abs(H[(n - 1) * ld + (n - 2)]);
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }

      if (iter === 30) {
        s = (y - x) / 2;
        s = s * s + w;
        if (s > 0) {
          s = Math.sqrt(s);
          if (y < x) {
            s = -s;
          }
          s = x - w / ((y - x) / 2 + s);
          for (i = low; i <= n; i++) {
            H[(i) * ld + (i)] = H[(i) * ld + (i)] - s;
          }
          exshift += s;
          x = y = w = 0.964;
        }
      }

      iter = iter + 1;
      if (++guard > 60 * nn) return false;

      m = n - 2;
      while (m >= l) {
        z = H[(m) * ld + (m)];
        r = x - z;
        s = y - z;
        p = (r * s - w) / H[(m + 1) * ld + (m)] + H[(m) * ld + (m + 1)];
        q = H[(m + 1) * ld + (m + 1)] - z - r - s;
        r = H[(m + 2) * ld + (m + 1)];
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p = p / s;
        q = q / s;
        r = r / s;
        if (m === l) {
          break;
        }
        if (
          Math.abs(H[(m) * ld + (m - 1)]) * (Math.abs(q) + Math.abs(r)) <
          eps *
            (Math.abs(p) *
              (Math.abs(H[(m - 1) * ld + (m - 1)]) +
                Math.abs(z) +
                Math.abs(H[(m + 1) * ld + (m + 1)])))
        ) {
          break;
        }
        m--;
      }

      for (i = m + 2; i <= n; i++) {
        H[(i) * ld + (i - 2)] = 0;
        if (i > m + 2) {
          H[(i) * ld + (i - 3)] = 0;
        }
      }

      for (k = m; k <= n - 1; k++) {
        notlast = k !== n - 1;
        if (k !== m) {
          p = H[(k) * ld + (k - 1)];
          q = H[(k + 1) * ld + (k - 1)];
          r = notlast ? H[(k + 2) * ld + (k - 1)] : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x !== 0) {
            p = p / x;
            q = q / x;
            r = r / x;
          }
        }

        if (x === 0) {
          break;
        }

        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) {
          s = -s;
        }

        if (s !== 0) {
          if (k !== m) {
            H[(k) * ld + (k - 1)] = -s * x;
          } else if (l !== m) {
            H[(k) * ld + (k - 1)] = -H[(k) * ld + (k - 1)];
          }

          p = p + s;
          x = p / s;
          y = q / s;
          z = r / s;
          q = q / p;
          r = r / p;

          // The three updates below are JAMA's loops with the loop-invariant `notlast` test hoisted out
          // and the row/column offsets stepped instead of recomputed; each element sees the same
          // operations in the same order, so the results are unchanged.
          const r0 = k * ld;
          const r1 = r0 + ld;
          const r2 = r1 + ld;
          if (notlast) {
            // Row modification.
            for (j = k; j < nn; j++) {
              p = H[r0 + j] + q * H[r1 + j];
              p = p + r * H[r2 + j];
              H[r2 + j] = H[r2 + j] - p * z;
              H[r0 + j] = H[r0 + j] - p * x;
              H[r1 + j] = H[r1 + j] - p * y;
            }
            // Column modification.
            const top = Math.min(n, k + 3);
            for (let o = k, end = top * ld + k; o <= end; o += ld) {
              p = x * H[o] + y * H[o + 1];
              p = p + z * H[o + 2];
              H[o + 2] = H[o + 2] - p * r;
              H[o] = H[o] - p;
              H[o + 1] = H[o + 1] - p * q;
            }
            // Accumulate transformations.
            for (let o = low * ld + k, end = high * ld + k; o <= end; o += ld) {
              p = x * V[o] + y * V[o + 1];
              p = p + z * V[o + 2];
              V[o + 2] = V[o + 2] - p * r;
              V[o] = V[o] - p;
              V[o + 1] = V[o + 1] - p * q;
            }
          } else {
            for (j = k; j < nn; j++) {
              p = H[r0 + j] + q * H[r1 + j];
              H[r0 + j] = H[r0 + j] - p * x;
              H[r1 + j] = H[r1 + j] - p * y;
            }
            const top = Math.min(n, k + 3);
            for (let o = k, end = top * ld + k; o <= end; o += ld) {
              p = x * H[o] + y * H[o + 1];
              H[o] = H[o] - p;
              H[o + 1] = H[o + 1] - p * q;
            }
            for (let o = low * ld + k, end = high * ld + k; o <= end; o += ld) {
              p = x * V[o] + y * V[o + 1];
              V[o] = V[o] - p;
              V[o + 1] = V[o + 1] - p * q;
            }
          }
        }
      }
    }
  }

  if (norm === 0) {
    return true;
  }

  for (n = nn - 1; n >= 0; n--) {
    p = d[n];
    q = e[n];

    if (q === 0) {
      l = n;
      H[(n) * ld + (n)] = 1;
      for (i = n - 1; i >= 0; i--) {
        w = H[(i) * ld + (i)] - p;
        r = 0;
        for (j = l; j <= n; j++) {
          r = r + H[(i) * ld + (j)] * H[(j) * ld + (n)];
        }

        if (e[i] < 0) {
          z = w;
          s = r;
        } else {
          l = i;
          if (e[i] === 0) {
            H[(i) * ld + (n)] = w !== 0 ? -r / w : -r / (eps * norm);
          } else {
            x = H[(i) * ld + (i + 1)];
            y = H[(i + 1) * ld + (i)];
            q = (d[i] - p) * (d[i] - p) + e[i] * e[i];
            t = (x * s - z * r) / q;
            H[(i) * ld + (n)] = t;
            H[(i + 1) * ld + (n)] = Math.abs(x) > Math.abs(z) ? (-r - w * t) / x : (-s - y * t) / z;
          }

          t = Math.abs(H[(i) * ld + (n)]);
          if (eps * t * t > 1) {
            for (j = i; j <= n; j++) {
              H[(j) * ld + (n)] = H[(j) * ld + (n)] / t;
            }
          }
        }
      }
    } else if (q < 0) {
      l = n - 1;

      if (Math.abs(H[(n) * ld + (n - 1)]) > Math.abs(H[(n - 1) * ld + (n)])) {
        H[(n - 1) * ld + (n - 1)] = q / H[(n) * ld + (n - 1)];
        H[(n - 1) * ld + (n)] = -(H[(n) * ld + (n)] - p) / H[(n) * ld + (n - 1)];
      } else {
        cdivres = cdiv(0, -H[(n - 1) * ld + (n)], H[(n - 1) * ld + (n - 1)] - p, q);
        H[(n - 1) * ld + (n - 1)] = cdivres[0];
        H[(n - 1) * ld + (n)] = cdivres[1];
      }

      H[(n) * ld + (n - 1)] = 0;
      H[(n) * ld + (n)] = 1;
      for (i = n - 2; i >= 0; i--) {
        ra = 0;
        sa = 0;
        for (j = l; j <= n; j++) {
          ra = ra + H[(i) * ld + (j)] * H[(j) * ld + (n - 1)];
          sa = sa + H[(i) * ld + (j)] * H[(j) * ld + (n)];
        }

        w = H[(i) * ld + (i)] - p;

        if (e[i] < 0) {
          z = w;
          r = ra;
          s = sa;
        } else {
          l = i;
          if (e[i] === 0) {
            cdivres = cdiv(-ra, -sa, w, q);
            H[(i) * ld + (n - 1)] = cdivres[0];
            H[(i) * ld + (n)] = cdivres[1];
          } else {
            x = H[(i) * ld + (i + 1)];
            y = H[(i + 1) * ld + (i)];
            vr = (d[i] - p) * (d[i] - p) + e[i] * e[i] - q * q;
            vi = (d[i] - p) * 2 * q;
            if (vr === 0 && vi === 0) {
              vr =
                eps *
                norm *
                (Math.abs(w) +
                  Math.abs(q) +
                  Math.abs(x) +
                  Math.abs(y) +
                  Math.abs(z));
            }
            cdivres = cdiv(
              x * r - z * ra + q * sa,
              x * s - z * sa - q * ra,
              vr,
              vi,
            );
            H[(i) * ld + (n - 1)] = cdivres[0];
            H[(i) * ld + (n)] = cdivres[1];
            if (Math.abs(x) > Math.abs(z) + Math.abs(q)) {
              H[(i + 1) * ld + (n - 1)] = (-ra - w * H[(i) * ld + (n - 1)] + q * H[(i) * ld + (n)]) / x;
              H[(i + 1) * ld + (n)] = (-sa - w * H[(i) * ld + (n)] - q * H[(i) * ld + (n - 1)]) / x;
            } else {
              cdivres = cdiv(
                -r - y * H[(i) * ld + (n - 1)],
                -s - y * H[(i) * ld + (n)],
                z,
                q,
              );
              H[(i + 1) * ld + (n - 1)] = cdivres[0];
              H[(i + 1) * ld + (n)] = cdivres[1];
            }
          }

          t = Math.max(Math.abs(H[(i) * ld + (n - 1)]), Math.abs(H[(i) * ld + (n)]));
          if (eps * t * t > 1) {
            for (j = i; j <= n; j++) {
              H[(j) * ld + (n - 1)] = H[(j) * ld + (n - 1)] / t;
              H[(j) * ld + (n)] = H[(j) * ld + (n)] / t;
            }
          }
        }
      }
    }
  }

  for (i = 0; i < nn; i++) {
    if (i < low || i > high) {
      for (j = i; j < nn; j++) {
        V[(i) * ld + (j)] = H[(i) * ld + (j)];
      }
    }
  }

  for (j = nn - 1; j >= low; j--) {
    for (i = low; i <= high; i++) {
      z = 0;
      for (k = low; k <= Math.min(j, high); k++) {
        z = z + V[(i) * ld + (k)] * H[(k) * ld + (j)];
      }
      V[(i) * ld + (j)] = z;
    }
  }
  return true;
}

function cdiv(xr: number, xi: number, yr: number, yi: number): [number, number] {
  let r: number, d: number;
  if (Math.abs(yr) > Math.abs(yi)) {
    r = yi / yr;
    d = yr + r * yi;
    return [(xr + r * xi) / d, (xi - r * xr) / d];
  } else {
    r = yr / yi;
    d = yi + r * yr;
    return [(r * xr + xi) / d, (r * xi - xr) / d];
  }
}
