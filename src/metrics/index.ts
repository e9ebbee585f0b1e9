/**
 * Segmentation metrics, one protocol per paper's evaluation code, plus MAE.
 *
 * @module
 */
export {
  PROTOCOLS, PROTOCOL_INFO, createAccumulator, fBeta,
  type ProtocolName, type MetricReport, type ProtocolInfo, type MetricAccumulator,
} from './protocols.ts';
export { evaluate, reportToJson, reportToMarkdown, type MaskInput } from './evaluate.ts';
