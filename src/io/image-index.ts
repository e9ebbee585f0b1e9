/**
 * Image I/O: decoding, PNG encoding, resizing, grids.
 *
 * @module
 */
export { decodeImage, encodePng, createRaster, toRgb, channel, luma, resize, shortSideSize, crop, centerCrop, pad, flipHorizontal, type Raster, type ResizeMode, type EncodePngOptions } from './image.ts';
export { gridRaster, type GridRow, type GridOptions, type OverlayRow } from './image-grid.ts';
export { readImage, writePng, writeGrid, writeFileAtomic } from './image-file.ts';
