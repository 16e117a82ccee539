"""torch.hub entry points for the course's packaged encoder (lesson 09), loaded from this folder.

    torch.hub.load(folder_of_this_file, "sentence_encoder", model_folder, source="local")

``source="local"`` reads this file from disk: nothing is downloaded, so it works with the network cut.
(``torch.hub.list`` and ``torch.hub.help`` take only GitHub names; ``torch.hub.load`` also takes a folder.)
"""

dependencies = ["torch", "transformers"]


def sentence_encoder(model_folder: str):
    """A black box: a list of sentences in, one unit-length vector each out, ``(n, D)``.

    ``model_folder`` is a folder ``from_pretrained`` reads (the course's 'encoder' asset).
    """
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(model_folder)
    model = transformers.AutoModel.from_pretrained(model_folder).eval()

    @torch.no_grad()
    def encode(sentences):
        batch = tokenizer(list(sentences), padding=True, truncation=True, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    return encode


def encoder(model_folder: str):
    """The encoder itself (``transformers.AutoModel``), for hidden states and fine-tuning."""
    import transformers

    return transformers.AutoModel.from_pretrained(model_folder)
