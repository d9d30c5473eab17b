"""Studies of many independent runs on Dask distributed (``snnforge sweep STUDY.toml``).

:func:`load_study` / :func:`study_from_dict` expand a study into :class:`RunSpec` runs (one
command line each); :func:`run_study` runs them as Dask tasks into a resumable sweep folder and
writes the tables and plots (:mod:`snnforge.sweep.results`).
"""
from .runner import SweepOutcome, plan, run_study
from .spec import RunSpec, Study, load_study, study_from_dict

__all__ = ["RunSpec", "Study", "SweepOutcome", "load_study", "plan", "run_study",
           "study_from_dict"]
