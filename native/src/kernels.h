// Registration of each kernel family's N-API entry points on the addon's exports.
#pragma once

#include <napi.h>

namespace kioku {

void registerElementwise(Napi::Env env, Napi::Object exports);
void registerEmbedding(Napi::Env env, Napi::Object exports);
void registerAdam(Napi::Env env, Napi::Object exports);
void registerLstm(Napi::Env env, Napi::Object exports);
void registerGru(Napi::Env env, Napi::Object exports);
void registerRnn(Napi::Env env, Napi::Object exports);
void registerPermute(Napi::Env env, Napi::Object exports);

}  // namespace kioku
