"""Fixtures for test/io/{npy,safetensors}.test.ts, written by numpy (np.save /
np.lib.format) and by the independent python safetensors writer, with the values
listed in test/fixtures/io/expected.json.
Run: /usr/bin/python3 tools/parity/unet_io_fixtures.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from unet_safetensors import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'io')


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    base = np.arange(24).reshape(2, 3, 4)
    arrays = {
        'f4': (rng.standard_normal((2, 3, 4)).astype('<f4'), None),
        'f8': (rng.standard_normal((3, 2)).astype('<f8'), None),
        'f2': (np.array([1.0, -2.5, 65504.0, 6e-8, 0.1], dtype='<f2'), None),
        'i4': ((base - 7).astype('<i4'), None),
        'i8': (np.array([-(2 ** 40), -1, 0, 2 ** 40], dtype='<i8'), None),
        'u1': (np.arange(250, 256).astype('|u1').reshape(2, 3), None),
        'b1': (np.array([True, False, True, True]), None),
        'scalar': (np.array(3.5, dtype='<f4'), None),
        'fortran': (np.asfortranarray(rng.standard_normal((2, 3, 4)).astype('<f4')), None),
        'v2': (rng.standard_normal((4,)).astype('<f4'), (2, 0)),
        'v3': (rng.standard_normal((2, 2)).astype('<f4'), (3, 0)),
    }
    expected = {}
    for name, (a, version) in arrays.items():
        path = os.path.join(OUT, f'{name}.npy')
        if version is None:
            np.save(path, a)
        else:
            with open(path, 'wb') as f:
                np.lib.format.write_array(f, a, version=version)
        expected[name] = {'shape': list(a.shape), 'values': [float(v) for v in np.ascontiguousarray(a).reshape(-1)]}
    st = {
        'f32': rng.standard_normal((2, 3)).astype('<f4'),
        'f16': np.array([1.0, -0.5, 3.140625], dtype='<f2'),
        'bf16': np.array([1.0, -2.0, 0.15625, 3.0e38], dtype='<f4'),
        'f64': np.array([[1.5, -2.25]], dtype='<f8'),
        'i64': np.array([7, -(2 ** 33)], dtype='<i8'),
        'u8': np.array([0, 255], dtype='|u1'),
        'flag': np.array([True, False]),
        'empty': np.zeros((0, 3), dtype='<f4'),
        'scalar': np.array(2.0, dtype='<f4'),
    }
    write_safetensors(os.path.join(OUT, 'mixed.safetensors'), st, {'config': '{"a": 1}', 'note': 'python writer'}, bf16=('bf16',))
    expected['safetensors'] = {k: {'shape': list(v.shape), 'values': [float(x) for x in v.reshape(-1)]} for k, v in st.items()}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
