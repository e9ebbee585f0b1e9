"""A minimal safetensors writer in plain Python + numpy (the `safetensors` package is
not installed here). Written independently of src/io/safetensors.ts, so fixtures
written with it also cross-check our reader.

Format (huggingface/safetensors): u64 LE header length N, N bytes of JSON
{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, raw LE data.
"""
import json
import struct

import numpy as np

_CODES = {
    np.dtype('float32'): 'F32', np.dtype('float64'): 'F64', np.dtype('float16'): 'F16',
    np.dtype('int64'): 'I64', np.dtype('int32'): 'I32', np.dtype('int16'): 'I16',
    np.dtype('int8'): 'I8', np.dtype('uint8'): 'U8', np.dtype('bool'): 'BOOL',
}


def write_safetensors(path, tensors, metadata=None, bf16=()):
    """tensors: dict name -> numpy array (C order). Names in `bf16` are stored as BF16
    (float32 values truncated to their top 16 bits)."""
    header = {}
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.array(arr, order='C')
        if name in bf16:
            bits = arr.astype('<f4').view('<u4') >> 16
            raw = bits.astype('<u2').tobytes()
            code = 'BF16'
        else:
            code = _CODES[arr.dtype]
            raw = arr.astype(arr.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': code, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def torch_state(model):
    """A module's state dict as numpy arrays (num_batches_tracked stays int64)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
