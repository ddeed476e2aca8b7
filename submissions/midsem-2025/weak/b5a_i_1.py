

def generate_no_cache(model, prompt, T_max):
    raise NotImplementedError
