{
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags": ["-O3", "-fno-math-errno", "-pthread", "-fPIC"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-pthread", "-fPIC"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno"]
    }
  },
  "targets": [
    {
      "target_name": "kioku",
      "sources": [
        "src/addon.cc",
        "src/adam.cc",
        "src/elementwise.cc",
        "src/embedding.cc",
        "src/gemm/driver.cc",
        "src/gemm/pack.cc",
        "src/masked_pool.cc",
        "src/permute.cc",
        "src/pool.cc",
        "src/recurrent/recurrent.cc",
        "src/simd.cc"
      ],
      "dependencies": ["kioku_simd_portable"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["kioku_simd_avx2", "kioku_simd_avx512"]}],
        ["target_arch=='arm64'", {"dependencies": ["kioku_simd_neon"]}]
      ]
    },
    {
      "target_name": "kioku_simd_portable",
      "type": "static_library",
      "sources": ["src/simd_kernels.cc"],
      "defines": ["KIOKU_ISA_SCALAR"]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kioku_simd_avx2",
          "type": "static_library",
          "sources": ["src/simd_kernels.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-mavx2", "-mfma"]}
        },
        {
          "target_name": "kioku_simd_avx512",
          "type": "static_library",
          "sources": ["src/simd_kernels.cc"],
          "cflags_cc": ["-mavx512f", "-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-mavx512f", "-mavx2", "-mfma"]}
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "kioku_simd_neon",
          "type": "static_library",
          "sources": ["src/simd_kernels.cc"]
        }
      ]
    }]
  ]
}
