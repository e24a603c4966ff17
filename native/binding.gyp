{
  "targets": [
    {
      "target_name": "kioku",
      "sources": [
        "src/adam.cc",
        "src/addon.cc",
        "src/elementwise.cc",
        "src/embedding.cc",
        "src/gemm.cc",
        "src/gru.cc",
        "src/lstm.cc",
        "src/permute.cc",
        "src/pool.cc",
        "src/rnn.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-pthread"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
