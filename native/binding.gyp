{
  "targets": [
    {
      "target_name": "gan_segmenter_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/elementwise.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-funroll-loops"],
      "cflags": ["-O3"],
      "libraries": ["-lopenblas", "-lpthread", "-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
