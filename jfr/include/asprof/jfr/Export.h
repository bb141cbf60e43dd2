//
// Export.h
//
// Symbol visibility for libasprof-jfr: built with hidden visibility, only
// declarations marked ASPROF_JFR_API are exported.
//

#ifndef Asprof_Jfr_Export_INCLUDED
#define Asprof_Jfr_Export_INCLUDED

#define ASPROF_JFR_API __attribute__((visibility("default")))

#endif // Asprof_Jfr_Export_INCLUDED
