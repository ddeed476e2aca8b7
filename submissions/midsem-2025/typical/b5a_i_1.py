import math

import torch


def _causal_attention(q, k, v):
    # q, k, v: (T, H, d_k); position i attends to keys 0..i
    T = q.shape[0]
    scores = torch.einsum("ihd,jhd->hij", q, k) / math.sqrt(q.shape[-1])  # (H, T, T)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.einsum("hij,jhd->ihd", torch.softmax(scores, dim=-1), v)  # (T, H, d_k)


def generate_no_cache(model, prompt, T_max):
    Y = prompt.clone()
    while len(Y) < T_max:
        X = model.embed(Y, torch.arange(len(Y)))  # Embed + PosEnc of the whole prefix
        for layer in range(model.n_layers):
            Z = _causal_attention(model.query(layer, X), model.key(layer, X), model.value(layer, X))
            X = model.norm1(layer, X + model.attn_out(layer, Z))  # Add & Norm
            X = model.norm2(layer, X + model.ffn(layer, X))  # Add & Norm
        logits = model.unembed(X[-1:])[0]  # last position only, after the layer loop
        y_t = logits.argmax()
        Y = torch.cat([Y, y_t.view(1)])
        if int(y_t) == model.eos_id:
            break
    return Y
