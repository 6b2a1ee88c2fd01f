/* features.h - (being written). */
#ifndef PROCESSING_FEATURES_H
#define PROCESSING_FEATURES_H

#endif
