"""Reports: functions over the subject index, with separate renderers."""
