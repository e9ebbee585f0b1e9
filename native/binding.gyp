{
  "variables": {
    "gsn_dnnl%": "<!(test \"$GAN_SEGMENTER_DNNL\" != 0 && test -f /usr/include/oneapi/dnnl/dnnl.hpp && grep -q 'define DNNL_VERSION_MAJOR 2$' /usr/include/oneapi/dnnl/dnnl_version.h && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "gan_segmenter_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/elementwise.cc", "src/conv_winograd.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-funroll-loops"],
      "cflags": ["-O3"],
      "libraries": ["-lopenblas", "-lpthread", "-ldl"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["gsn_dnnl==1", {
          "sources": ["src/conv_dnnl.cc"],
          "defines": ["GSN_DNNL"],
          "libraries": ["-ldnnl"]
        }]
      ]
    }
  ]
}
