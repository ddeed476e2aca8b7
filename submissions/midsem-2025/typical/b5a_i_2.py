import math

import torch


def _attend(q, K, V, first_pos):
    # q: (Tq, H, d_k) at positions first_pos.., K, V: (S, H, d_k) at positions 0..S-1
    scores = torch.einsum("ihd,jhd->hij", q, K) / math.sqrt(q.shape[-1])
    qpos = first_pos + torch.arange(q.shape[0])
    mask = torch.arange(K.shape[0])[None, :] <= qpos[:, None]
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.einsum("hij,jhd->ihd", torch.softmax(scores, dim=-1), V)


def generate_with_cache(model, prompt, T_max):
    Y = prompt.clone()
    m = len(Y)
    if m >= T_max:
        return Y
    K_cache, V_cache = [], []
    # warm the caches with the prompt
    X = model.embed(Y, torch.arange(m))
    for layer in range(model.n_layers):
        Q, K, V = model.query(layer, X), model.key(layer, X), model.value(layer, X)
        K_cache.append(K)
        V_cache.append(V)
        X = model.norm1(layer, X + model.attn_out(layer, _attend(Q, K, V, 0)))
        X = model.norm2(layer, X + model.ffn(layer, X))
    logits = model.unembed(X[-1:])[0]
    while True:
        y_t = logits.argmax()
        Y = torch.cat([Y, y_t.view(1)])
        if int(y_t) == model.eos_id or len(Y) >= T_max:
            break
        pos = len(Y) - 1
        x = model.embed(y_t.view(1), torch.tensor([pos]))  # newest token only
        for layer in range(model.n_layers):
            q, k, v = model.query(layer, x), model.key(layer, x), model.value(layer, x)
            K_cache[layer] = torch.cat([K_cache[layer], k])  # append, no recomputation
            V_cache[layer] = torch.cat([V_cache[layer], v])
            x = model.norm1(layer, x + model.attn_out(layer, _attend(q, K_cache[layer], V_cache[layer], pos)))
            x = model.norm2(layer, x + model.ffn(layer, x))
        logits = model.unembed(x)[0]
    return Y
