"""A fastText model that filters load lazily in each worker (the model does not pickle)."""

from __future__ import annotations


class LazyFastText:
    """Mixin: `self.model` loads `self.model_path` on first use; pickling drops the loaded model."""

    model_path: str
    _model = None

    @property
    def model(self):
        if self._model is None:
            import fasttext

            self._model = fasttext.load_model(self.model_path)
        return self._model

    def __getstate__(self):
        return {**self.__dict__, "_model": None}
