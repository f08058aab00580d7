"""Surveys: importing responses from survey exports with a column plan, and computing results.

Import is two steps over the same parsed file (see ``campaigns.survey_exports`` for reading
Google Forms, Microsoft Forms and SurveyMonkey exports as downloaded): ``mapping`` holds the
column plan and its first guess, ``importing`` checks and writes the responses, ``results``
computes each question's results and saves a result as a finding. This module re-exports the
names other code imports.
"""

from campaigns.survey_exports import ParsedFile, SurveyFileError, survey_file_parse
from campaigns.surveys.importing import (
    BATCH,
    ImportCheck,
    RowError,
    survey_import_check,
    survey_import_commit,
    survey_save,
    survey_upload_add,
    survey_upload_import,
    survey_upload_mapping_save,
)
from campaigns.surveys.mapping import (
    OTHER,
    OUTSIDE,
    SCALES,
    ColumnMapping,
    ColumnPlan,
    ColumnRole,
    column_guess,
    discover_options,
    guess_scale,
    mapping_guess,
    mapping_validate,
    option_counts,
    plans_from,
)
from campaigns.surveys.results import (
    OptionResult,
    QuestionResult,
    WardCell,
    WardRow,
    survey_finding_save,
    survey_results,
    surveys_for,
)

__all__ = [
    "BATCH",
    "OTHER",
    "OUTSIDE",
    "SCALES",
    "ColumnMapping",
    "ColumnPlan",
    "ColumnRole",
    "ImportCheck",
    "OptionResult",
    "ParsedFile",
    "QuestionResult",
    "RowError",
    "SurveyFileError",
    "WardCell",
    "WardRow",
    "column_guess",
    "discover_options",
    "guess_scale",
    "mapping_guess",
    "mapping_validate",
    "option_counts",
    "plans_from",
    "survey_file_parse",
    "survey_finding_save",
    "survey_import_check",
    "survey_import_commit",
    "survey_results",
    "survey_save",
    "survey_upload_add",
    "survey_upload_import",
    "survey_upload_mapping_save",
    "surveys_for",
]
