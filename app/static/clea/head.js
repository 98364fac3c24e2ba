// Loaded in <head>, after FAB's ab_filters.js. FAB's search filters call $.fn.datetimepicker, a plugin FAB
// does not load: without this stub the first date filter throws and the active filters after it are not shown.
if (!$.fn.datetimepicker) { $.fn.datetimepicker = function () { return this; }; }
