import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Bounds } from '../../../shared/geometry';
import { pascalVoc, toVocBox, xmlEscape, type VocBox } from '../../../shared/formats/pascal-voc';
import { imagesCase } from '../../fixtures/tiny/input';
import { renderShard } from './harness';

function asBounds([xMin, yMin, xMax, yMax]: number[]): Bounds {
  return { xMin: xMin!, yMin: yMin!, xMax: xMax!, yMax: yMax! };
}

function asVocBox([xmin, ymin, xmax, ymax]: number[]): VocBox {
  return { xmin: xmin!, ymin: ymin!, xmax: xmax!, ymax: ymax! };
}

interface VocObject {
  name: string;
  truncated: number;
  bndbox: { xmin: number; ymin: number; xmax: number; ymax: number };
}
interface VocDocument {
  annotation: {
    filename: string;
    source: { database: string };
    size: { width: number; height: number; depth: number };
    segmented: number;
    object?: VocObject[];
  };
}

const parser = new XMLParser({ isArray: (name) => name === 'object' });

async function documents(): Promise<Map<string, VocDocument>> {
  const { files } = await renderShard(pascalVoc, imagesCase());
  return new Map(
    [...files]
      .filter(([path]) => path.endsWith('.xml'))
      .map(([path, body]) => {
        const xml = body.toString('utf8');
        expect(XMLValidator.validate(xml)).toBe(true);
        return [path, parser.parse(xml) as VocDocument];
      }),
  );
}

describe('pascal_voc', () => {
  it('lists the image stems of the subset in ImageSets/Main, as VOC readers find images', async () => {
    const { files } = await renderShard(pascalVoc, imagesCase());
    expect(files.get('ImageSets/Main/train.txt')!.toString('utf8')).toBe('a\nb\nc.d\n');
    const tiny = imagesCase();
    const withSubset = pascalVoc.render({
      exportName: 'x',
      createdAt: '2024-01-01T00:00:00.000Z',
      task: tiny.task,
      dataset: tiny.dataset,
      items: tiny.items.slice(0, 1),
      subset: 'val',
      warn: () => undefined,
    });
    const paths: string[] = [];
    for await (const file of withSubset) paths.push(file.path);
    expect(paths).toEqual(['a.xml', 'ImageSets/Main/val.txt']);
  });

  // Bounds [xMin, yMin, xMax, yMax] in a 64x48 image, and the VOC box [xmin, ymin, xmax, ymax].
  it.each([
    { what: 'an inner box', bounds: [4.4, 5.6, 24.4, 15.6], voc: [5, 7, 24, 16] },
    { what: 'the whole image', bounds: [0, 0, 64, 48], voc: [1, 1, 64, 48] },
  ])(
    'makes VOC boxes 1-based and inclusive: xmin = round(x)+1, xmax = round(x+w) ($what)',
    ({ bounds, voc }) => {
      expect(toVocBox(asBounds(bounds), 64, 48)).toEqual(asVocBox(voc));
    },
  );

  it('keeps a box thinner than a pixel a valid one-pixel box', () => {
    expect(toVocBox(asBounds([10.6, 3.6, 10.9, 3.9]), 64, 48)).toEqual(asVocBox([12, 5, 12, 5]));
  });

  it('keeps every box within [1,width] x [1,height] with min <= max', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (width, height, a, b, c, d) => {
          const box = toVocBox(
            {
              xMin: Math.min(a, b) * width,
              xMax: Math.max(a, b) * width,
              yMin: Math.min(c, d) * height,
              yMax: Math.max(c, d) * height,
            },
            width,
            height,
          );
          return (
            box.xmin >= 1 &&
            box.xmax <= width &&
            box.xmin <= box.xmax &&
            box.ymin >= 1 &&
            box.ymax <= height &&
            box.ymin <= box.ymax
          );
        },
      ),
    );
  });

  it('escapes the five XML markup characters and drops characters XML cannot hold', () => {
    expect(xmlEscape(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(xmlEscape('bell\u0007tab\tok')).toBe('belltab\tok');
  });

  it('writes one well-formed document per image, images without objects included', async () => {
    const docs = await documents();
    expect([...docs.keys()].sort()).toEqual(['a.xml', 'b.xml', 'c.d.xml']);
    const empty = docs.get('b.xml')!.annotation;
    expect(empty.filename).toBe('b.png');
    expect(empty.size).toEqual({ width: 32, height: 32, depth: 1 });
    expect(empty.segmented).toBe(0);
    expect(empty.object).toBeUndefined();
  });

  it('reads back with an XML parser: class names unescaped, tight boxes of the geometry', async () => {
    const docs = await documents();
    const a = docs.get('a.xml')!.annotation;
    expect(a.source.database).toBe('Street & park');
    expect(a.size.depth).toBe(3);
    expect(a.object!.map((o) => o.name)).toEqual(['car', 'traffic light & sign', 'person', 'car']);
    // The rotated box's tight box spans x 29.06..46.94 and y 6.65..21.35.
    expect(a.object![1]!.bndbox).toEqual({ xmin: 30, ymin: 8, xmax: 47, ymax: 21 });
    // The two-part polygon's box spans both parts.
    expect(a.object![2]!.bndbox).toEqual({ xmin: 3, ymin: 31, xmax: 26, ymax: 40 });
    const c = docs.get('c.d.xml')!.annotation;
    expect(c.object!.map((o) => o.name)).toEqual(['sign, "stop"', 'traffic light & sign']);
  });

  it('clips boxes to the image and marks them truncated', async () => {
    const a = (await documents()).get('a.xml')!.annotation;
    expect(a.object![3]).toMatchObject({
      truncated: 1,
      bndbox: { xmin: 51, ymin: 41, xmax: 64, ymax: 48 },
    });
    expect(a.object![0]!.truncated).toBe(0);
  });
});
