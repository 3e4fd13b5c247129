// Screenshots for the repository: Chromium writes 8-bit RGB(A) PNGs; committed ones are
// re-encoded with a 256-colour palette, which loses nothing visible in a UI screenshot.
import { deflateSync, inflateSync } from "node:zlib";

/**
 * Re-encodes an 8-bit RGB(A) PNG as a 256-colour indexed PNG (popularity palette over 5-bit
 * channels, each pixel mapped to its nearest entry): a UI screenshot loses nothing visible and
 * shrinks about threefold, which keeps the committed wasm/demo/screenshot.png small.
 */
export function toIndexedPng(png) {
  const chunks = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({ type: png.toString("latin1", at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  const ihdr = chunks.find((c) => c.type === "IHDR").data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const channels = { 2: 3, 6: 4 }[ihdr[9]];
  if (ihdr[8] !== 8 || !channels || ihdr[12] !== 0) return png; // not what Chromium writes: leave it
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = up[i];
      const c = i >= channels ? up[i - channels] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  // Popularity palette: the 256 most frequent 15-bit colours, each the mean of its pixels.
  const buckets = new Map();
  const key = (i) => ((pixels[i] >> 3) << 10) | ((pixels[i + 1] >> 3) << 5) | (pixels[i + 2] >> 3);
  for (let i = 0; i < pixels.length; i += channels) {
    const k = key(i);
    const b = buckets.get(k) ?? buckets.set(k, [0, 0, 0, 0]).get(k);
    b[0]++, (b[1] += pixels[i]), (b[2] += pixels[i + 1]), (b[3] += pixels[i + 2]);
  }
  const palette = [...buckets.values()].sort((x, y) => y[0] - x[0]).slice(0, 256)
    .map(([n, r, g, b]) => [Math.round(r / n), Math.round(g / n), Math.round(b / n)]);
  const nearest = new Map();
  const indexed = Buffer.alloc((width + 1) * height);
  for (let y = 0, o = 0; y < height; y++) {
    indexed[o++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const i = y * stride + x * channels;
      const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
      let best = nearest.get(rgb);
      if (best === undefined) {
        let bestDistance = Infinity;
        palette.forEach(([r, g, b], j) => {
          const d = (r - pixels[i]) ** 2 + (g - pixels[i + 1]) ** 2 + (b - pixels[i + 2]) ** 2;
          if (d < bestDistance) (bestDistance = d), (best = j);
        });
        nearest.set(rgb, best);
      }
      indexed[o++] = best;
    }
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.from(ihdr);
  header[9] = 3; // indexed colour
  return Buffer.concat([
    png.subarray(0, 8),
    chunk("IHDR", header),
    chunk("PLTE", Buffer.from(palette.flat())),
    chunk("IDAT", deflateSync(indexed, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
